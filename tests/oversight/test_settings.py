"""Settings come from the environment (issue #2 §2); production settings pass `check --deploy`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3Jq9vX2mZ8pL5tR1wY7uN4bC6dF0gH2jK8lQ3sV5xA9eT1iO7rU4yW6zB2nM0cP"
PRINT_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "DB_ENGINE": settings.DATABASES["default"]["ENGINE"],
    "DB_NAME": str(settings.DATABASES["default"]["NAME"]),
    "CACHE": settings.CACHES["default"]["BACKEND"],
    "EAGER": settings.CELERY_TASK_ALWAYS_EAGER,
    "BROKER": settings.CELERY_BROKER_URL,
    "SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "HSTS": settings.SECURE_HSTS_SECONDS,
    "PROXY_HEADER": getattr(settings, "SECURE_PROXY_SSL_HEADER", None),
    "LANGUAGE_CODE": settings.LANGUAGE_CODE,
    "TIME_ZONE": settings.TIME_ZONE,
    "USE_TZ": settings.USE_TZ,
}))
"""


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    unset = {"DEBUG", "SECRET_KEY", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in unset}
    base["DJANGO_SETTINGS_MODULE"] = "oversight.settings"
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True
    )


def _settings(**env: str) -> dict[str, object]:
    result = _run(["-c", PRINT_SETTINGS], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_pass_check_deploy():
    # given production settings: DEBUG off, a strong key, a real host name
    # when Django's deployment checklist runs, failing on any warning
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DEBUG="false",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="oversight.dafeng.example",
    )

    # then it finds nothing
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secret_key_is_required_when_debug_is_off():
    result = _run(["manage.py", "check"], DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_a_malformed_boolean_is_a_clear_configuration_error():
    result = _run(["manage.py", "check"], DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_defaults_are_sqlite_in_the_project_and_eager_tasks():
    values = _settings(DEBUG="true", DATABASE_URL="")
    assert values["DB_ENGINE"] == "django.db.backends.sqlite3"
    assert values["DB_NAME"] == str(ROOT / "db.sqlite3")
    assert values["CACHE"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["EAGER"] is True
    assert values["LANGUAGE_CODE"] == "zh-hans"
    assert values["TIME_ZONE"] == "Asia/Shanghai"
    assert values["USE_TZ"] is True


def test_redis_url_configures_broker_and_cache():
    values = _settings(DEBUG="true", REDIS_URL="redis://127.0.0.1:6379/3")
    assert values["CACHE"] == "django.core.cache.backends.redis.RedisCache"
    assert values["BROKER"] == "redis://127.0.0.1:6379/3"
    assert values["EAGER"] is False


def test_database_url_selects_postgresql():
    values = _settings(DEBUG="true", DATABASE_URL="postgres://u@db.example:5432/oversight")
    assert values["DB_ENGINE"] == "django.db.backends.postgresql"
    assert values["DB_NAME"] == "oversight"


def test_production_is_strict_by_default_and_a_proxy_can_relax_it():
    strict = _settings(DEBUG="false", SECRET_KEY=STRONG_KEY)
    assert strict["SSL_REDIRECT"] is True
    assert strict["HSTS"] == 31_536_000
    proxied = _settings(
        DEBUG="false", SECRET_KEY=STRONG_KEY, SECURE_SSL_REDIRECT="false", USE_X_FORWARDED_PROTO="1"
    )
    assert proxied["SSL_REDIRECT"] is False
    assert proxied["PROXY_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_the_vault_key_is_required_when_debug_is_off():
    result = _run(
        ["manage.py", "check"], DEBUG="false", SECRET_KEY=STRONG_KEY, OVERSIGHT_VAULT_KEY=""
    )
    assert result.returncode != 0
    assert "OVERSIGHT_VAULT_KEY is required" in result.stderr


def test_a_malformed_vault_key_is_a_clear_configuration_error():
    result = _run(
        ["manage.py", "check"], DEBUG="false", SECRET_KEY=STRONG_KEY, OVERSIGHT_VAULT_KEY="short"
    )
    assert result.returncode != 0
    assert "urlsafe base64 of 32 bytes" in result.stderr
