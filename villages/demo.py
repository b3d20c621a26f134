"""Build the demo district through the services, so every demo row has history and an actor."""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils.module_loading import import_string

from oversight import roles
from oversight.notify import quiet
from oversight.roles import sync_roles
from villages import choices, services
from villages.demo_data import (
    BAIJU_NAMES,
    COMMUNITIES,
    GIVEN,
    NAME_FIRST,
    NAME_SECOND,
    POWER_CATEGORY_NUMBERS,
    POWER_ITEMS,
    SURNAMES,
    TOWNSHIPS,
)
from villages.demo_ledger import REVIEWS_PER_VILLAGE, seed_ledger
from villages.models import PowerItem, SupervisionCommittee, Township, Village

REASON = "演示数据初始化 (seed_demo)"
# The current term of every committee: elected with the village committees in spring 2026.
TERM_START = datetime.date(2026, 3, 1)
TERM_YEARS = 5


@dataclass
class SeedReport:
    """What a seeding run created, for the command to print."""

    townships: int = 0
    villages: int = 0
    committees: int = 0
    members: int = 0
    cadres: int = 0
    power_items: int = 0
    users: int = 0
    reviews: int = 0
    inactive_flags: int = 0  # committees flagged for no review in 60 days
    # What the other apps' demo steps created (OVERSIGHT_DEMO_STEPS), by label.
    extra: dict[str, int] = field(default_factory=dict)


class _Accounts:
    """Creates demo accounts with one shared password hash (hashing is the slow part)."""

    def __init__(self, password: str, report: SeedReport) -> None:
        self.password_hash = make_password(password)
        self.report = report

    def get_or_create(self, username: str, name: str, *, staff: bool = False) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username, first_name=name, password=self.password_hash, is_staff=staff
            )
            user.save()
            self.report.users += 1
        return user

    def give_role(self, user: User, role_code: str) -> None:
        user.groups.add(Group.objects.get(name=role_code))


def _person_name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        if name not in used:
            used.add(name)
            return name


def _village_names(rng: random.Random, township_code: str, count: int) -> list[str]:
    names: list[str] = []
    if township_code == "320904102":  # 白驹镇: real (historical) names first
        names.extend(f"{n}村" for n in BAIJU_NAMES[:count])
    while len(names) < count:
        candidate = f"{rng.choice(NAME_FIRST)}{rng.choice(NAME_SECOND)}村"
        if candidate not in names:
            names.append(candidate)
    return names


# Posts of a village's cadres: the fixed core, then villager-group leaders up to 10–14 people.
CORE_POSTS = [
    choices.CadrePost.PARTY_SECRETARY,
    choices.CadrePost.DEPUTY_PARTY_SECRETARY,
    choices.CadrePost.DISCIPLINE_MEMBER,
    choices.CadrePost.DIRECTOR,
    choices.CadrePost.DEPUTY_DIRECTOR,
    choices.CadrePost.COMMITTEE_MEMBER,
    choices.CadrePost.COMMITTEE_MEMBER,
    choices.CadrePost.ACCOUNTANT,
    choices.CadrePost.BOOKKEEPER,
    choices.CadrePost.CLERK,
]
PARTY_POSTS = {
    choices.CadrePost.PARTY_SECRETARY,
    choices.CadrePost.DEPUTY_PARTY_SECRETARY,
    choices.CadrePost.DISCIPLINE_MEMBER,
}


def _seed_village(
    *,
    actor: User,
    township: Township,
    code: str,
    name: str,
    seed: int,
    accounts: _Accounts,
    report: SeedReport,
) -> Village:
    rng = random.Random(f"{seed}-{code}")
    village = Village.objects.filter(code=code).first()
    if village is None:
        village = services.village_create(
            actor=actor,
            township=township,
            code=code,
            name=name,
            kind=choices.VillageKind.VILLAGE,
            is_synthetic=True,
            reason=REASON,
        )
        report.villages += 1
    if SupervisionCommittee.objects.filter(village=village).exists():
        return village
    used_names: set[str] = set()
    term_start = TERM_START + datetime.timedelta(days=rng.randrange(0, 60))
    committee = services.committee_create(
        actor=actor,
        village=village,
        term_number=3,
        term_start=term_start,
        term_end=term_start.replace(year=term_start.year + TERM_YEARS),
        elected_by=rng.choice(choices.ElectedBy.values),
        reason=REASON,
    )
    report.committees += 1
    for index in range(rng.randint(3, 5)):
        person = _person_name(rng, used_names)
        suffix = "chair" if index == 0 else f"member{index}"
        member = accounts.get_or_create(f"village.{code}.{suffix}", person)
        services.membership_start(
            actor=actor,
            committee=committee,
            person_name=person,
            role=choices.MemberRole.CHAIR if index == 0 else choices.MemberRole.MEMBER,
            start=term_start,
            user=member,
            reason=REASON,
        )
        report.members += 1
    posts = CORE_POSTS + [choices.CadrePost.GROUP_LEADER] * rng.randint(0, 4)
    for post in posts:
        person = _person_name(rng, used_names)
        # The bookkeeper answers the committee's inquiries in the system: the village officer.
        officer = None
        if post == choices.CadrePost.BOOKKEEPER:
            officer = accounts.get_or_create(f"village.{code}.officer", person)
        services.cadre_create(
            actor=actor,
            village=village,
            name=person,
            post=post,
            is_party_member=post in PARTY_POSTS or rng.random() < 0.55,
            term_start=term_start,
            user=officer,
            reason=REASON,
        )
        report.cadres += 1
    return village


def _seed_power_list(actor: User, report: SeedReport) -> None:
    counters: dict[str, int] = {}
    for category, name, steps, risks in POWER_ITEMS:
        counters[category] = counters.get(category, 0) + 1
        code = f"XW-{POWER_CATEGORY_NUMBERS[category]:02d}-{counters[category]:02d}"
        if PowerItem.objects.filter(code=code).exists():
            continue
        services.power_item_create(
            actor=actor,
            code=code,
            category=category,
            name=name,
            steps=steps,
            risk_points=[{"point": p, "level": level} for p, level in risks],
            reason=REASON,
        )
        report.power_items += 1


def seed_demo(
    *,
    actor: User,
    size: str,
    seed: int,
    password: str,
    reviews_per_village: int | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
) -> SeedReport:
    """Create the demo district (or the small one) and its 2019 ledger; running it again creates
    nothing new. `reviews_per_village` overrides the ledger's size (REVIEWS_PER_VILLAGE)."""
    sync_roles()
    report = SeedReport()
    accounts = _Accounts(password, report)

    with transaction.atomic():
        for username, name, role in (
            ("admin", "系统管理员", roles.ADMINISTRATOR),
            ("district.auditor", "区审计员", roles.DISTRICT_AUDITOR),
            ("district.discipline", "区纪委监委干部", roles.DISTRICT_DISCIPLINE),
        ):
            user = accounts.get_or_create(username, name, staff=role == roles.ADMINISTRATOR)
            accounts.give_role(user, role)
        _seed_power_list(actor, report)

    power = {item.code: item for item in PowerItem.objects.all()}
    reviews = REVIEWS_PER_VILLAGE[size] if reviews_per_village is None else reviews_per_village
    township_rows = TOWNSHIPS if size == "district" else [TOWNSHIPS[4], TOWNSHIPS[11]]
    ordinal = 0  # the village's place in the district: the ledger's rotation of risks
    for code, name, kind, count in township_rows:
        if size == "small":
            count = 3
        with transaction.atomic():
            township = Township.objects.filter(code=code).first()
            if township is None:
                township = services.township_create(
                    actor=actor, code=code, name=name, kind=kind, reason=REASON
                )
                report.townships += 1
            for suffix, role, label in (
                ("staff", roles.TOWNSHIP_STAFF, "纪委干部"),
                ("leader", roles.TOWNSHIP_LEADER, "纪委书记"),
            ):
                user = accounts.get_or_create(f"township.{code}.{suffix}", f"{name}{label}")
                accounts.give_role(user, role)
                services.jurisdiction_grant(
                    actor=actor, user=user, township=township, reason=REASON
                )
        rng = random.Random(f"{seed}-{code}")
        for index, village_name in enumerate(_village_names(rng, code, count)):
            # One transaction a village: its people, its committee and its 2019 ledger.
            with transaction.atomic():
                village = _seed_village(
                    actor=actor,
                    township=township,
                    code=f"{code}{200 + index:03d}",
                    name=village_name,
                    seed=seed,
                    accounts=accounts,
                    report=report,
                )
                # 2019 is past: its signatures and answers tell nobody today.
                with quiet():
                    report.reviews += seed_ledger(
                        actor=actor,
                        village=village,
                        seed=seed,
                        count=reviews,
                        ordinal=ordinal,
                        power=power,
                    )
            ordinal += 1
        if size == "district":
            with transaction.atomic():
                for unit, community in COMMUNITIES.get(code, []):
                    if not Village.objects.filter(code=f"{code}{unit}").exists():
                        services.village_create(
                            actor=actor,
                            township=township,
                            code=f"{code}{unit}",
                            name=community,
                            kind=choices.VillageKind.COMMUNITY,
                            is_synthetic=unit != "011" or code != "320904002",
                            reason=REASON,
                        )
                        report.villages += 1
        progress(f"{name}: {Village.objects.filter(township=township).count()}")
    # The ledger is of 2019 and the committees took office in 2026: the daily check flags each
    # committee that has recorded nothing since, as its first morning's run would.
    report.inactive_flags += services.village_check_activity(actor=actor)["opened"]
    # The other apps' demo data (complaints and cases, …), built on the villages: named in
    # settings so that villages never imports the apps that build on it.
    # (Their records are of 2019 too: nobody is told of them today.)
    for dotted in settings.OVERSIGHT_DEMO_STEPS:
        step = import_string(dotted)
        with quiet():
            report.extra.update(step(actor=actor, size=size, seed=seed, progress=progress))
    return report
