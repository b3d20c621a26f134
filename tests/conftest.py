"""Shared fixtures: service markers, a two-township district and the personas of CONVENTIONS §22."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection

from oversight import roles
from oversight.system import get_system_user
from tests.factories import (
    CadreFactory,
    CommitteeFactory,
    MembershipFactory,
    PowerItemFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
)
from villages import services
from villages.choices import CadrePost, MemberRole
from villages.models import Township, Village

# Playwright's sync API runs an event loop in the test thread; Django's ORM must still be usable.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_SERVICES = os.environ.get("OVERSIGHT_REQUIRE_SERVICES", "") not in ("", "0", "false")


def _redis_answers() -> bool:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def _service_missing(marker: str) -> str | None:
    if marker == "postgres" and connection.vendor != "postgresql":
        return "PostgreSQL is not configured (DATABASE_URL)"
    if marker == "redis" and not _redis_answers():
        return "Redis is not answering at REDIS_URL"
    if marker == "browser" and not CHROMIUM.exists():
        return "Chromium is not installed at /usr/bin/chromium"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a test whose service is missing locally; in CI (OVERSIGHT_REQUIRE_SERVICES) fail it."""
    for marker in ("postgres", "redis", "browser"):
        if item.get_closest_marker(marker) is None:
            continue
        missing = _service_missing(marker)
        if missing:
            if REQUIRE_SERVICES:
                pytest.fail(f"{missing}, and CI requires it", pytrace=False)
            pytest.skip(missing)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """The suite builds its database without migrations: install the append-only triggers that
    audit.0002_append_only installs in production (PostgreSQL; nothing on SQLite)."""
    from audit.append_only import install_all

    with django_db_blocker.unblock():
        install_all(connection)


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache: rate-limit counters and cached pages of one test
    never reach the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Playwright drives Debian's Chromium; it never downloads a browser."""
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@dataclass
class District:
    """Two townships: A with villages A1 and A2, B with village B1; each village has a committee."""

    township_a: Township
    township_b: Township
    village_a1: Village
    village_a2: Village
    village_b1: Village


@pytest.fixture
def system_user(db: None) -> User:
    return get_system_user()


@pytest.fixture
def district(db: None) -> District:
    township_a = TownshipFactory(code="320904103", name="刘庄镇")
    township_b = TownshipFactory(code="320904110", name="新丰镇")
    village_a1 = VillageFactory(township=township_a, code="320904103201", name="东丰村")
    village_a2 = VillageFactory(township=township_a, code="320904103202", name="西安村")
    village_b1 = VillageFactory(township=township_b, code="320904110201", name="南星村")
    for village in (village_a1, village_a2, village_b1):
        CommitteeFactory(village=village)
        CadreFactory(village=village, post=CadrePost.PARTY_SECRETARY, is_party_member=True)
        CadreFactory(village=village, post=CadrePost.DIRECTOR)
    PowerItemFactory()
    return District(township_a, township_b, village_a1, village_a2, village_b1)


def _with_role(username: str, role: str) -> User:
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=role))
    return user


def _seat(village: Village, username: str, role: str) -> User:
    committee = village.active_committee()
    assert committee is not None
    return MembershipFactory(
        committee=committee, user=UserFactory(username=username), role=role
    ).user


@pytest.fixture
def district_official(district: District) -> User:
    return _with_role("district.auditor", roles.DISTRICT_AUDITOR)


@pytest.fixture
def district_discipline(district: District) -> User:
    return _with_role("district.discipline", roles.DISTRICT_DISCIPLINE)


@pytest.fixture
def administrator(district: District) -> User:
    user = _with_role("admin", roles.ADMINISTRATOR)
    user.is_staff = True
    user.save()
    return user


def _township_person(district: District, role: str, suffix: str) -> User:
    user = _with_role(f"township.{district.township_a.code}.{suffix}", role)
    services.jurisdiction_grant(
        actor=get_system_user(), user=user, township=district.township_a, reason="fixture"
    )
    return user


@pytest.fixture
def township_staff(district: District) -> User:
    """Discipline staff of township A (villages A1 and A2)."""
    return _township_person(district, roles.TOWNSHIP_STAFF, "staff")


@pytest.fixture
def township_leader(district: District) -> User:
    return _township_person(district, roles.TOWNSHIP_LEADER, "leader")


@pytest.fixture
def chair_a(district: District) -> User:
    """Chair of village A1's committee."""
    return _seat(district.village_a1, f"village.{district.village_a1.code}.chair", MemberRole.CHAIR)


@pytest.fixture
def member_a(district: District) -> User:
    """Member of village A1's committee."""
    return _seat(
        district.village_a1, f"village.{district.village_a1.code}.member1", MemberRole.MEMBER
    )


@pytest.fixture
def member_b(district: District) -> User:
    """Member of village B1's committee (township B)."""
    return _seat(
        district.village_b1, f"village.{district.village_b1.code}.member1", MemberRole.MEMBER
    )


@pytest.fixture
def officer_a(district: District) -> User:
    """Village A1's bookkeeper, with an account: a village officer."""
    user = UserFactory(username=f"village.{district.village_a1.code}.officer")
    CadreFactory(village=district.village_a1, post=CadrePost.BOOKKEEPER, user=user)
    return user


@pytest.fixture
def outsider(district: District) -> User:
    """An account with no role and no jurisdiction."""
    return UserFactory(username="outsider")
