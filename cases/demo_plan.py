"""The plan of the demo's complaints and cases (cases/demo.py): every date, cadre, sanction and
appeal decided in memory, reproducibly from the seed, before anything is written."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from cases import choices
from cases import demo_data as data
from cases.choices import Channel
from cases.choices import SanctionType as T
from cases.models import Complaint
from villages.choices import VILLAGE_COMMITTEE_POSTS, VillageKind
from villages.demo_data import GIVEN, SURNAMES
from villages.models import Cadre, Village

YEAR = 2019
# What each cadre sanctioned in 2019 receives: f1 a form-1 measure; f2 / f3 one sanction of
# that form; f2x2 a Party and a government sanction; f3x2 a Party sanction and a demotion;
# f4 a judicial transfer; f4x2 expulsion from the Party and a judicial transfer.
PACKAGES = {
    "district": {"f1": 232, "f2": 39, "f2x2": 19, "f3": 8, "f3x2": 3, "f4": 16, "f4x2": 4},
    "small": {"f1": 9, "f2": 2, "f2x2": 2, "f3": 1, "f3x2": 1, "f4": 1, "f4x2": 1},
}
PARTY_PACKAGES = {"f2x2", "f3x2", "f4x2"}
GROUP_PACKAGES = {"f1": ("f1",), "heavy": ("f2", "f2x2", "f3", "f3x2"), "f4": ("f4", "f4x2")}

_T = ["open", "propose:talk_inquiry", "approve:talk_inquiry"]
_V = ["open", "propose:preliminary_verification", "approve:preliminary_verification"]
_S = ["open", "propose:shelved", "approve:shelved"]
_NO = ["propose:closed_no_action", "approve:closed_no_action"]
_FULL = [*_V, "file", "investigate", "hear", "trial", "await"]
_DONE = ["sanction", "decide", "execute", "close"]
# Each path a case takes, as the moves made on it.
PATHS: dict[str, list[str]] = {
    "registered": ["open"],
    "proposed": ["open", "propose:*"],
    "talk": _T,
    "verify": _V,
    "shelved": _S,
    "no_action": ["open", *_NO],
    "talk_cleared": [*_T, *_NO],
    "verify_cleared": [*_V, *_NO],
    "shelved_cleared": [*_S, *_NO],
    "f1_talk_closed": [*_T, "sanction", "decide", "close"],
    "f1_talk_decided": [*_T, "sanction", "decide"],
    "f1_verify_closed": [*_V, "sanction", "decide", "close"],
    "filed": [*_V, "file"],
    "investigating": [*_V, "file", "investigate"],
    "heard": [*_V, "file", "investigate", "hear"],
    "trial_review": [*_V, "file", "investigate", "hear", "trial"],
    "awaiting": _FULL,
    "heavy_closed": [*_FULL, *_DONE],
    "heavy_returned": [*_FULL[:-1], "return", "hear", "trial", "await", *_DONE],
    "heavy_executing": [*_FULL, *_DONE[:-1]],
    "heavy_decided": [*_FULL, "sanction", "decide"],
    "f4_transferred": [*_FULL, "sanction", "transfer"],
    "f4_closed": [*_FULL, *_DONE],
    "withdrawn": [*_FULL, "withdraw"],
    "none_closed": [*_FULL, "decide_none", "close"],
    "early_transfer": ["open", "transfer"],
}
# (path, era, group, count district, count small). Era: "2019"; "spill" (received late in 2019,
# decided in 2020); "recent" (the last months before today). Group: the 2019 sanctions' group.
PLAN: list[tuple[str, str, str, int, int]] = [
    ("f1_talk_closed", "2019", "f1", 150, 5),
    ("f1_verify_closed", "2019", "f1", 50, 2),
    ("f1_talk_decided", "2019", "f1", 4, 1),
    ("heavy_closed", "2019", "heavy", 48, 2),
    ("heavy_returned", "2019", "heavy", 4, 1),
    ("heavy_executing", "2019", "heavy", 6, 1),
    ("heavy_decided", "2019", "heavy", 2, 1),
    ("f4_transferred", "2019", "f4", 16, 1),
    ("f4_closed", "2019", "f4", 2, 1),
    ("no_action", "2019", "", 52, 2),
    ("talk_cleared", "2019", "", 17, 1),
    ("verify_cleared", "2019", "", 15, 1),
    ("shelved_cleared", "2019", "", 8, 1),
    ("shelved", "2019", "", 5, 1),
    ("withdrawn", "2019", "", 11, 1),
    ("early_transfer", "2019", "", 4, 1),
    ("none_closed", "2019", "", 3, 1),
    ("verify", "2019", "", 1, 0),
    ("investigating", "2019", "", 1, 1),
    ("f1_talk_closed", "spill", "late", 8, 1),
    ("registered", "recent", "", 5, 1),
    ("proposed", "recent", "", 5, 1),
    ("talk", "recent", "", 5, 1),
    ("verify", "recent", "", 5, 1),
    ("shelved", "recent", "", 3, 1),
    ("filed", "recent", "", 3, 1),
    ("investigating", "recent", "", 4, 1),
    ("heard", "recent", "", 2, 1),
    ("trial_review", "recent", "", 3, 1),
    ("awaiting", "recent", "", 3, 1),
    ("f1_talk_decided", "recent", "late", 3, 1),
    ("heavy_executing", "recent", "late", 2, 2),
]
# Recent cases whose dates are fixed, so that each deadline state and each concluding status is
# there whatever the day: (path, move (negative: from the end), days ago). A disposition is due
# 30 days after the opening: opened 3 days ago it is on time, 27 days ago due soon. Decided
# yesterday, the result is not yet told; decided a month ago, it is.
ANCHORS = [
    ("registered", 0, 3),
    ("proposed", 0, 27),
    ("f1_talk_decided", -1, 1),
    ("heavy_executing", -1, 20),
]
# Complaints that lead to no case: (fate, district, small).
OTHER_COMPLAINTS = [
    ("not_accepted", 45, 2),
    ("transferred", 28, 2),
    ("duplicate", 35, 2),
    ("received", 4, 1),
    ("registered", 4, 1),
]
# Appeals, each on a sanction of a different cadre of the 2019 heavy group.
APPEALS = {
    "district": ["change", "revoke", "uphold", "uphold", "uphold", "accepted", "filed"],
    "small": ["change", "revoke", "uphold", "accepted", "filed"],
}
# Stages whose deadline is extended on some cases: (stage, the move entering it, the extra
# days the stage then took, path, era, district, small).
EXTENSIONS = [
    ("preliminary_verification", "approve:preliminary_verification", 24, "f1_verify_closed",
     "2019", 4, 1),
    ("investigation", "investigate", 60, "heavy_closed", "2019", 4, 1),
    ("talk_inquiry", "approve:talk_inquiry", 20, "f1_talk_closed", "2019", 2, 0),
    ("trial_review", "trial", 18, "heavy_closed", "2019", 1, 0),
    ("investigation", "investigate", 0, "investigating", "recent", 2, 1),
]  # fmt: skip
EXTRA_DAYS = {(row[0], row[3]): row[2] for row in EXTENSIONS}
EXTENSION_AMOUNT = {
    "preliminary_verification": 1, "investigation": 90, "talk_inquiry": 30, "trial_review": 1,
}  # fmt: skip
MONEY = {
    "benefit_skimming", "false_claims", "embezzlement", "misappropriation", "project_violation",
    "asset_disposal", "financial_violation", "unauthorised_allowance", "banqueting_gifts",
    "extortion_fees", "bribery", "requisition_compensation",
}  # fmt: skip
DERELICTION = {"dereliction", "non_disclosure", "decision_procedure"}
FORM1_TYPES = [
    (T.REMINDER_TALK, 30), (T.CRITICISM_EDUCATION, 25), (T.ADMONISHMENT, 20),
    (T.ORDERED_SELF_EXAMINATION, 10), (T.WARNING_TALK, 8), (T.PUBLIC_SELF_CRITICISM, 4),
    (T.CIRCULATED_CRITICISM, 3),
]  # fmt: skip
ORGANISATIONAL = [T.ORDERED_RESIGNATION, T.DISMISSAL_FROM_POST, T.SUSPENSION, T.REASSIGNMENT]
ENDS_CASE = {"decide", "transfer", "withdraw", "approve:closed_no_action", "decide_none"}

Sanctions = list[tuple[str, int | None]]


@dataclass(eq=False)
class Plaint:
    """A complaint to enter (or, from the ledger, already there) and what becomes of it."""

    village: Village
    fate: str  # case, not_accepted, transferred, duplicate, received, registered
    received: datetime.date
    channel: str = Channel.LETTER
    categories: list[str] = field(default_factory=list)
    accused: list[Cadre] = field(default_factory=list)
    reporter: dict[str, str] | None = None
    committee: int | None = None  # pk of the escalation the ledger made
    original: Plaint | None = None
    summary: str = ""
    content: str = ""
    question: bool = False
    obj: Complaint | None = None
    receipt: str = ""

    @property
    def saved(self) -> Complaint:
        """The complaint as entered (the plan is entered before it is read back)."""
        if self.obj is None:
            raise RuntimeError("The complaint has not been entered yet.")
        return self.obj

    @property
    def named(self) -> bool:
        """Whether someone is owed an acknowledgement and the result: a named reporter or the
        escalating committee."""
        return self.reporter is not None or self.committee is not None


@dataclass(eq=False)
class Spec:
    """A case to enter: its path, dates, subjects, their sanctions, and what follows."""

    path: str
    era: str
    group: str
    village: Village
    subjects: int = 1
    tokens: list[str] = field(default_factory=list)
    days: list[datetime.date] = field(default_factory=list)
    registered: datetime.date | None = None
    categories: list[str] = field(default_factory=list)
    cadres: list[Cadre] = field(default_factory=list)
    sanctions: list[Sanctions] = field(default_factory=list)
    plaints: list[Plaint] = field(default_factory=list)
    extend: tuple[str, str] | None = None  # (stage, the move entering it)
    age: tuple[int, int] | None = None  # (move, days ago) fixing a recent case's dates
    appeal: str = ""
    amounts: tuple[Decimal, Decimal] | None = None

    def day_of(self, token: str) -> datetime.date:
        """The day of the case's first such move."""
        return self.days[self.tokens.index(token)]


def at_(day: datetime.date, slot: int = 0) -> datetime.datetime:
    """`slot` half-hours after nine in the morning of `day`, Beijing time."""
    moment = datetime.datetime.combine(day, datetime.time(9, 0)) + datetime.timedelta(
        minutes=30 * slot
    )
    return timezone.make_aware(moment)


def shift(day: datetime.date, days: int) -> datetime.date:
    """`days` days after `day` (before, if negative)."""
    return day + datetime.timedelta(days=days)


class Planner:
    """Plans the whole district's scenario in memory (no writes), reproducibly from the seed."""

    def __init__(self, *, size: str, seed: int, today: datetime.date) -> None:
        self.rng = random.Random(f"{seed}-cases")  # noqa: S311
        self.size = size
        self.today = today
        villages = list(Village.objects.filter(kind=VillageKind.VILLAGE).order_by("code"))
        self.villages = villages
        self.cadres: dict[int, list[Cadre]] = {v.pk: [] for v in villages}
        for cadre in Cadre.objects.filter(term_end__isnull=True, village__in=villages).order_by(
            "village", "pk"
        ):
            self.cadres[cadre.village_id].append(cadre)
        self.by_pk = {c.pk: c for rows in self.cadres.values() for c in rows}
        self.punished: set[int] = set()  # cadres with a 2019 sanction planned
        self.recalled = False

    # --- Small makings -----------------------------------------------------------------------

    def category(self) -> list[str]:
        """One or two allegation categories, as often as they are raised."""
        first = self.rng.choices(list(data.CATEGORY_WEIGHTS), list(data.CATEGORY_WEIGHTS.values()))
        codes = [first[0]]
        if first[0] in data.COMPANION and self.rng.random() < 0.35:
            codes.append(self.rng.choice(data.COMPANION[first[0]]))
        return codes

    def person(self) -> str:
        """A villager's name."""
        given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2))))
        return self.rng.choice(SURNAMES) + given

    def third_party(self, plaint: Plaint) -> str:
        """A villager the complaint names: never its reporter, whose name stays in the vault."""
        while True:
            name = self.person()
            if plaint.reporter is None or name != plaint.reporter["name"]:
                return name

    def reporter(self, village: Village) -> dict[str, str]:
        """A named reporter's identity (an ID number with a valid check digit)."""
        rng = self.rng
        birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(16000))
        body = f"320904{birth:%Y%m%d}{rng.randrange(1000):03d}"
        weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
        number = rng.choice(data.HOUSE_NUMBERS).format(n=rng.randint(1, 80), m=rng.randint(1, 9))
        return {
            "name": self.person(),
            "phone": f"1{rng.choice(['39', '38', '51', '58', '87', '80', '33', '77'])}"
            f"{rng.randrange(10**8):08d}",
            "id_number": body + check,
            "address": f"{village.name}{rng.randint(1, 12)}组{number}",
        }

    def channel(self, plaint: Plaint) -> None:
        """How the complaint came in, whether it is named, whether the handler asks more."""
        channels = data.CHANNEL_WEIGHTS
        plaint.channel = self.rng.choices(list(channels), list(channels.values()))[0]
        if self.rng.random() < data.NAMED_SHARE.get(plaint.channel, 0.0):
            plaint.reporter = self.reporter(plaint.village)
        plaint.question = plaint.channel == Channel.ONLINE and self.rng.random() < 0.08

    def pick_cadre(
        self, village: Village, categories: list[str], *, avoid: set[int], party: bool = False
    ) -> Cadre:
        """A cadre of the village, most often one whose post the category is about."""
        pool = [c for c in self.cadres[village.pk] if c.pk not in avoid]
        if party:
            pool = [c for c in pool if c.is_party_member] or pool
        posts = data.CATEGORY_POSTS.get(categories[0], [])
        preferred = [c for c in pool if c.post in posts]
        if preferred and self.rng.random() < 0.8:
            return self.rng.choice(preferred)
        return self.rng.choice(pool or self.cadres[village.pk])

    # --- Dates -------------------------------------------------------------------------------

    def gap(self, prev: str, token: str, extra: int) -> int:
        """Days between the move `prev` and the move `token` (plus an extended stage's extra)."""
        rng = self.rng
        kind = token.partition(":")[0]
        if kind == "propose":
            if prev == "approve:shelved":
                return rng.randint(30, 90)
            return rng.randint(15, 40) if prev.startswith("approve") else rng.randint(3, 15)
        if kind == "sanction":
            if prev == "approve:talk_inquiry":
                return rng.randint(12, 35) + extra
            return rng.randint(25, 55) + extra if prev.startswith("approve") else rng.randint(3, 15)
        if kind == "close":
            return rng.randint(30, 120) if prev == "execute" else rng.randint(5, 25)
        ranges = {
            "open": (0, 6), "approve": (1, 5), "decide": (0, 0), "execute": (5, 20),
            "file": (25, 50), "investigate": (1, 4), "hear": (35, 80), "trial": (5, 15),
            "return": (8, 20), "await": (10, 26), "withdraw": (5, 20), "transfer": (3, 15),
            "decide_none": (5, 20),
        }  # fmt: skip
        low, high = ranges[kind]
        return rng.randint(low, high) + extra

    def offsets(self, spec: Spec) -> list[int]:
        """Days from the complaint's receipt to the registration and to each move."""
        stage, extra_after = spec.extend or ("", None)
        days = [self.rng.randint(1, 5)]
        prev = "register"
        for token in spec.tokens:
            extra = 0
            if extra_after is not None and prev == extra_after:
                extra = EXTRA_DAYS[(stage, spec.path)]
            days.append(days[-1] + self.gap(prev, token, extra))
            prev = token
        return days

    def date(self, spec: Spec, received: datetime.date | None = None) -> datetime.date:
        """Set the spec's dates; returns the day its first complaint was received."""
        offsets = self.offsets(spec)
        # The day the sanctions are decided: the one that says which year they count for.
        decision = next((i + 1 for i, t in enumerate(spec.tokens) if t == "sanction"), None)
        if received is None:
            first, last = datetime.date(YEAR, 1, 3), datetime.date(YEAR, 12, 20)
            if spec.era == "recent":
                index, age = spec.age or (len(spec.tokens) - 1, self.rng.randint(1, 35))
                received = shift(self.today, -age - offsets[index + 1])
            elif spec.era == "spill" and decision is not None:
                low = shift(datetime.date(YEAR, 12, 31), -offsets[decision] + 1)
                received = shift(low, self.rng.randint(0, max(0, (last - low).days)))
            else:
                if spec.group in GROUP_PACKAGES and decision is not None:
                    last = shift(datetime.date(YEAR, 12, 27), -offsets[decision])
                received = shift(first, self.rng.randint(0, max(0, (last - first).days)))
        spec.registered = shift(received, offsets[0])
        spec.days = [shift(received, n) for n in offsets[1:]]
        return received

    # --- The plan ----------------------------------------------------------------------------

    def plan(
        self, committee: list[tuple[int, int, datetime.date, list[str], list[int]]]
    ) -> tuple[list[Spec], list[Plaint]]:
        """The cases and the complaints, given the committees' escalations (see
        demo._escalations)."""
        rng = self.rng
        specs: list[Spec] = []
        for row in PLAN:
            path, era, group = row[0], row[1], row[2]
            for _ in range(row[3] if self.size == "district" else row[4]):
                specs.append(Spec(path, era, group, rng.choice(self.villages)))
                specs[-1].tokens = list(PATHS[path])
        for stage, entering, _extra, path, era, *counts in EXTENSIONS:
            wanted = counts[0] if self.size == "district" else counts[1]
            pool = [s for s in specs if s.path == path and s.era == era and s.extend is None]
            for spec in rng.sample(pool, min(wanted, len(pool))):
                spec.extend = (stage, entering)
        for path, index, age in ANCHORS:
            spec = next(s for s in specs if s.path == path and s.era == "recent")
            spec.age = (index if index >= 0 else len(spec.tokens) + index, age)
        for spec in specs:
            if spec.tokens[-1] == "propose:*":
                spec.tokens[-1] = "propose:" + rng.choice([str(d) for d in choices.DISPOSITIONS])
        self.match_committee(specs, committee)
        for spec in specs:
            if not spec.plaints:
                plaint = Plaint(spec.village, "case", self.date(spec))
                self.channel(plaint)
                spec.plaints.append(plaint)
            if not spec.categories:
                spec.categories = self.category()
        self.subjects(specs)
        self.variety(specs)
        plaints = self.texts(specs)
        return specs, plaints

    @staticmethod
    def sanctioned(specs: list[Spec], year: int = YEAR) -> set[int]:
        """The cadres the plan sanctions in `year` (the 2019 groups; others fall later)."""
        return {
            c.pk
            for s in specs
            if s.group in GROUP_PACKAGES and s.day_of("sanction").year == year
            for c in s.cadres
        }

    def variety(self, specs: list[Spec]) -> None:
        """At least three public reports among the cases that end in 2019, so that each rating
        is given somewhere, and named reporters on the recent cases that ended, to be told."""
        ended = [s for s in specs if ENDS_CASE & set(s.tokens) and not s.plaints[0].committee]
        old = [s.plaints[0] for s in ended if s.era == "2019"]
        missing = 3 - sum(p.channel == Channel.ONLINE for p in old)
        for plaint in [p for p in old if p.channel != Channel.ONLINE][: max(0, missing)]:
            plaint.channel = Channel.ONLINE
        for spec in ended:
            if spec.era == "recent" and spec.plaints[0].reporter is None:
                spec.plaints[0].reporter = self.reporter(spec.village)

    def match_committee(self, specs: list[Spec], committee: list[Any]) -> None:
        """Each escalation the ledger made starts a case of 2019 in its village, one that can
        still be decided in 2019 when its sanctions count for 2019; if none is left, a case
        closed without action."""
        for pk, village_id, received, categories, accused in committee:
            village = next(v for v in self.villages if v.pk == village_id)
            plaint = Plaint(village, "case", received, Channel.COMMITTEE, list(categories))
            plaint.committee = pk
            plaint.accused = [self.by_pk[c] for c in accused if c in self.by_pk]
            candidates = [s for s in specs if s.era == "2019" and not s.plaints]
            self.rng.shuffle(candidates)
            for spec in candidates:
                self.date(spec, received)
                if spec.group not in GROUP_PACKAGES:
                    break
                if spec.day_of("sanction") <= datetime.date(YEAR, 12, 27):
                    break
            else:
                spec = Spec("no_action", "2019", "", village, tokens=list(PATHS["no_action"]))
                specs.append(spec)
                self.date(spec, received)
            spec.village = village
            spec.plaints.append(plaint)
            spec.categories = list(categories)

    def subjects(self, specs: list[Spec]) -> None:
        """Name each case's subjects and, for the sanctioned, what each receives."""
        rng = self.rng
        for group, kinds in GROUP_PACKAGES.items():
            members = [s for s in specs if s.group == group]
            packages = [k for k in kinds for _ in range(PACKAGES[self.size][k])]
            for spec in rng.sample(members, len(packages) - len(members)):
                spec.subjects = 2
            rng.shuffle(packages)
            slots = [(s, i) for s in members for i in range(s.subjects)]
            for (spec, _index), package in zip(slots, packages, strict=True):
                accused = [c for c in spec.plaints[0].accused if c.pk not in self.punished]
                if package in PARTY_PACKAGES:
                    accused = [c for c in accused if c.is_party_member]
                avoid = self.punished | {c.pk for c in spec.cadres}
                cadre = next((c for c in accused if c.pk not in avoid), None)
                cadre = cadre or self.pick_cadre(
                    spec.village, spec.categories, avoid=avoid, party=package in PARTY_PACKAGES
                )
                if package in PARTY_PACKAGES and not cadre.is_party_member:
                    package = package[:2]  # no Party member left in the village: one sanction
                self.punished.add(cadre.pk)
                spec.cadres.append(cadre)
                spec.sanctions.append(self.sanction_types(package, cadre))
        for spec in specs:
            while len(spec.cadres) < spec.subjects:
                accused = [c for c in spec.plaints[0].accused if c not in spec.cadres]
                cadre = accused[0] if accused else None
                avoid = {c.pk for c in spec.cadres}
                spec.cadres.append(
                    cadre or self.pick_cadre(spec.village, spec.categories, avoid=avoid)
                )
                if spec.group == "late":
                    package = "f1" if spec.path.startswith("f1") else "f2"
                    spec.sanctions.append(self.sanction_types(package, spec.cadres[-1]))
        self.appeals(specs)
        for spec in specs:
            if (spec.group and spec.categories[0] in MONEY) or spec.group in ("f4", "heavy"):
                self.money(spec)

    def sanction_types(self, package: str, cadre: Cadre) -> Sanctions:
        """The sanctions (type, probation years) of a package that the law allows the cadre."""
        rng = self.rng
        party = cadre.is_party_member
        elected = cadre.post in VILLAGE_COMMITTEE_POSTS
        gov = [T.GOV_WARNING, T.GOV_DEMERIT, T.GOV_MAJOR_DEMERIT]
        if package == "f1":
            return [
                (rng.choices([t for t, _ in FORM1_TYPES], [w for _, w in FORM1_TYPES])[0], None)
            ]
        if package == "f2":
            if elected and not self.recalled:  # the villagers recall one elected member
                self.recalled = True
                return [(T.RECALL, None)]
            roll = rng.random()
            if party and roll < 0.5:
                return [(rng.choice([T.PARTY_WARNING] * 2 + [T.PARTY_SERIOUS_WARNING]), None)]
            if roll < 0.8:
                return [(rng.choice(gov), None)]
            organisational = ORGANISATIONAL + ([T.RECALL, T.CANCEL_ELECTION] if elected else [])
            return [(rng.choice(organisational), None)]
        if package == "f2x2":
            if not party:
                return [(rng.choice(gov), None), (rng.choice(ORGANISATIONAL), None)]
            return [(rng.choice([T.PARTY_WARNING, T.PARTY_SERIOUS_WARNING]), None),
                    (rng.choice(gov), None)]  # fmt: skip
        if package == "f3":
            if not party:
                return [(T.DEMOTION, None)]
            kind = rng.choice([T.PARTY_POST_REMOVAL, T.PARTY_PROBATION, T.PARTY_EXPULSION])
            return [(kind, rng.choice((1, 2)) if kind == T.PARTY_PROBATION else None)]
        if package == "f3x2":
            return [(T.PARTY_POST_REMOVAL, None), (T.DEMOTION, None)]
        if package == "f4x2":
            return [(T.PARTY_EXPULSION, None), (T.JUDICIAL_TRANSFER, None)]
        return [(T.JUDICIAL_TRANSFER, None)]

    def appeals(self, specs: list[Spec]) -> None:
        """Appeals on sanctions of 2019's heavy cases, decided: a change and a revocation where
        the cadre keeps another sanction in force, and upheld ones. The two still open are on
        recent sanctions (a government sanction is appealed within a month), the one accepted
        on the case decided longest ago."""
        heavy = [s for s in specs if s.group == "heavy" and s.era == "2019"]
        doubles = [s for s in heavy if any(len(t) == 2 for t in s.sanctions)]
        singles = [s for s in heavy if s not in doubles]
        recent = [s for s in specs if s.path == "heavy_executing" and s.era == "recent"]
        recent.sort(key=lambda s: s.age is None)
        for result in APPEALS[self.size]:
            free = [[s for s in group if not s.appeal] for group in (singles, doubles, recent)]
            if result in ("accepted", "filed"):
                if free[2]:
                    free[2][0].appeal = result
                continue
            pool = free[1] if result in ("change", "revoke") else free[0] or free[1]
            if not pool:
                continue
            spec = self.rng.choice(pool)
            spec.appeal = result
            index = 0
            if result in ("change", "revoke"):
                index = next(i for i, t in enumerate(spec.sanctions) if len(t) == 2)
            spec.cadres.insert(0, spec.cadres.pop(index))
            spec.sanctions.insert(0, spec.sanctions.pop(index))
            first = spec.sanctions[0]
            if result == "change" and spec.cadres[0].is_party_member:
                first[0] = (T.PARTY_SERIOUS_WARNING, None)
            elif result == "change":
                first[0] = (T.GOV_DEMERIT, None)

    def money(self, spec: Spec) -> None:
        """The amounts involved and recovered, to the fen."""
        rng = self.rng
        high = {"f1": 20000, "late": 20000, "heavy": 150000, "f4": 600000}.get(spec.group, 30000)
        involved = Decimal(rng.randint(800, high)) + Decimal(rng.randint(0, 99)) / 100
        if spec.group == "f4" or rng.random() < 0.3:
            recovered = (involved * Decimal(rng.randint(30, 90)) / 100).quantize(Decimal("0.01"))
        else:
            recovered = involved
        spec.amounts = (involved, recovered)

    def texts(self, specs: list[Spec]) -> list[Plaint]:
        """Second complaints of some cases and the complaints that lead to no case."""
        rng = self.rng
        plaints = [p for s in specs for p in s.plaints]
        for spec in specs:
            if spec.era != "2019" or rng.random() > 0.12:
                continue
            first, opened = spec.plaints[0].received, spec.day_of("open")
            if (opened - first).days >= 2:
                second = Plaint(
                    spec.village, "case", shift(first, rng.randint(1, (opened - first).days - 1))
                )
                self.channel(second)
                spec.plaints.append(second)
                plaints.append(second)
        for fate, *counts in OTHER_COMPLAINTS:
            for _ in range(counts[0] if self.size == "district" else counts[1]):
                village = rng.choice(self.villages)
                received = datetime.date(YEAR, 1, 3) + datetime.timedelta(days=rng.randrange(355))
                plaint = Plaint(village, fate, received)
                if fate in ("received", "registered"):
                    plaint.received = shift(self.today, -rng.randint(2, 12))
                if fate == "duplicate":
                    originals = [
                        p
                        for p in plaints
                        if p.fate == "case" and p.received <= datetime.date(YEAR, 12, 20)
                    ]
                    plaint.original = rng.choice(originals)
                    plaint.village = plaint.original.village
                    plaint.received = min(
                        shift(plaint.original.received, rng.randint(3, 40)),
                        datetime.date(YEAR, 12, 30),
                    )
                self.channel(plaint)
                plaints.append(plaint)
        for plaint in plaints:
            if plaint.committee is not None:
                continue
            if not plaint.categories:
                source = plaint.original
                owner = next((s for s in specs if plaint in s.plaints), None)
                plaint.categories = (
                    source.categories if source else owner.categories if owner else self.category()
                )
                if owner is not None:
                    plaint.accused = list(owner.cadres)
                elif source is not None:
                    plaint.accused = list(source.accused)
                else:
                    plaint.accused = [
                        self.pick_cadre(plaint.village, plaint.categories, avoid=set())
                    ]
            self.render(plaint, specs)
            if plaint.channel == Channel.ONLINE:
                plaint.accused = []  # the public page names no one: the text does
        return plaints

    def render(self, plaint: Plaint, specs: list[Spec]) -> None:
        """The complaint's summary and text, about its first accused (or a cadre of its
        village), in the words of its first category."""
        rng = self.rng
        summary, content = rng.choice(data.COMPLAINTS[plaint.categories[0]])
        who = (
            plaint.accused[0] if plaint.accused else self.rng.choice(self.cadres[plaint.village.pk])
        )
        spec = next((s for s in specs if plaint in s.plaints), None)
        if spec is not None and spec.amounts is not None:
            amount = int(spec.amounts[0].quantize(Decimal("1E2")))
        else:
            amount = rng.randrange(800, 60000, 100)
        words = {
            "village": plaint.village.name,
            "post": data.POST_NAMES.get(who.post, ""),
            "cadre": who.name,
            "group": rng.randint(1, 12),
            "amount": f"{amount:,}",
            "person": self.third_party(plaint),
            "count": rng.randint(2, 9),
        }
        plaint.summary = summary.format(**words)[:200]
        plaint.content = data.CHANNEL_PREFIX.get(plaint.channel, "") + content.format(**words)
