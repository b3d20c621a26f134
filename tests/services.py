"""Throw-away services for tests that start real processes: a fresh PostgreSQL database, a
Redis database of their own and a free loopback port (tests/test_serve.py, tests/bench/)."""

from __future__ import annotations

import contextlib
import os
import socket
import urllib.parse
from collections.abc import Iterator

import dj_database_url
import psycopg
import redis
from cryptography.fernet import Fernet


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """A new PostgreSQL database on the server of DATABASE_URL, dropped at the end: its URL."""
    server = dj_database_url.parse(os.environ["DATABASE_URL"])
    name = f"{prefix}_{os.getpid()}"
    admin = {
        "host": server["HOST"] or "127.0.0.1",
        "port": server["PORT"] or 5432,
        "user": server["USER"],
        "password": server["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    user = urllib.parse.quote(str(server["USER"]))
    secret = f":{urllib.parse.quote(str(server['PASSWORD']))}" if server["PASSWORD"] else ""
    try:
        yield f"postgres://{user}{secret}@{admin['host']}:{admin['port']}/{name}"
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def own_redis(db: int) -> Iterator[str]:
    """Database `db` of the Redis at REDIS_URL (one nothing else on the shared server uses),
    empty before and after: its URL."""
    url = urllib.parse.urlsplit(os.environ["REDIS_URL"])._replace(path=f"/{db}").geturl()
    with redis.Redis.from_url(url) as client:
        client.flushdb()
        try:
            yield url
        finally:
            client.flushdb()


def production_env(
    database: str, *, leave_out: frozenset[str] = frozenset(), **values: str
) -> dict[str, str]:
    """The environment of the application served in production shape (DEBUG off, fresh secrets,
    plain HTTP on loopback, no mail) against `database`: this process's environment without
    make's variables, the broker and `leave_out`, then `values` (tests/test_serve.py,
    tests/oversight/test_db_restart.py)."""
    skip = {"MAKEFLAGS", "MAKELEVEL", "MFLAGS", "CELERY_BROKER_URL", *leave_out}
    env = {key: value for key, value in os.environ.items() if key not in skip}
    env.update(
        DEBUG="false",
        SECRET_KEY=Fernet.generate_key().decode() * 2,
        ALLOWED_HOSTS="127.0.0.1",
        OVERSIGHT_VAULT_KEY=Fernet.generate_key().decode(),
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        DATABASE_URL=database,
    )
    env.update(values)
    return env
