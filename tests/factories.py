"""factory_boy factories.

Domain records are created through their services, as the system user, so a factory-made record
has the same history and side effects (jurisdiction, roles) as a real one.
"""

from __future__ import annotations

import datetime
from typing import Any

import factory
from django.contrib.auth.models import User

from oversight.system import get_system_user
from villages import services
from villages.choices import CadrePost, ElectedBy, MemberRole, PowerCategory, TownshipKind
from villages.models import (
    Cadre,
    CommitteeMembership,
    PowerItem,
    SupervisionCommittee,
    Township,
    Village,
)

TEST_PASSWORD = "correct-horse-battery"
REASON = "test fixture"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password(TEST_PASSWORD)


class TownshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Township

    # Township codes are 9 digits: the sequence wraps (each test's rows roll back, so a code is
    # only ever reused in a later test, not next to itself).
    code = factory.Sequence(lambda n: f"320904{101 + n % 899:03d}")
    name = factory.Sequence(lambda n: f"测试{n}镇")
    kind = TownshipKind.TOWN

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Township:
        return services.township_create(actor=get_system_user(), reason=REASON, **kwargs)


def _free_village_code(township: Township) -> str:
    """The lowest village code (suffix 200–399) the township does not use yet."""
    taken = set(Village.objects.filter(township=township).values_list("code", flat=True))
    for unit in range(200, 400):
        code = f"{township.code}{unit:03d}"
        if code not in taken:
            return code
    raise RuntimeError(f"township {township.code} has no free village code")


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village

    township = factory.SubFactory(TownshipFactory)
    code = factory.LazyAttribute(lambda o: _free_village_code(o.township))
    name = factory.Sequence(lambda n: f"测试{n}村")
    kind = "village"

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Village:
        return services.village_create(actor=get_system_user(), reason=REASON, **kwargs)


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisionCommittee

    village = factory.SubFactory(VillageFactory)
    term_number = 3
    term_start = datetime.date(2026, 3, 1)
    term_end = datetime.date(2031, 3, 1)
    elected_by = ElectedBy.VILLAGERS_ASSEMBLY

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> SupervisionCommittee:
        return services.committee_create(actor=get_system_user(), reason=REASON, **kwargs)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitteeMembership

    committee = factory.SubFactory(CommitteeFactory)
    user = factory.SubFactory(UserFactory)
    person_name = factory.Sequence(lambda n: f"委员{n}")
    role = MemberRole.MEMBER
    start = datetime.date(2026, 3, 1)

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> CommitteeMembership:
        return services.membership_start(actor=get_system_user(), reason=REASON, **kwargs)


class CadreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cadre

    village = factory.SubFactory(VillageFactory)
    name = factory.Sequence(lambda n: f"干部{n}")
    post = CadrePost.GROUP_LEADER
    is_party_member = False
    term_start = datetime.date(2026, 3, 1)
    user = None

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Cadre:
        return services.cadre_create(actor=get_system_user(), reason=REASON, **kwargs)


class PowerItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PowerItem

    code = factory.Sequence(lambda n: f"XW-99-{n:02d}")
    category = PowerCategory.FINANCE
    name = factory.Sequence(lambda n: f"权力事项{n}")
    steps = factory.LazyFunction(lambda: ["申请", "审核", "公开"])
    risk_points = factory.LazyFunction(lambda: [{"point": "白条入账", "level": "high"}])

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> PowerItem:
        return services.power_item_create(actor=get_system_user(), reason=REASON, **kwargs)
