"""The demo's complaints and cases of 2019 (issue #4 item 12), entered through the services.

The scenario is planned in memory first (every date, cadre and sanction, from one seeded random
generator), then entered township by township, one transaction each, as the township's own demo
accounts: `staff` registers, proposes and handles, `staff2` is the second investigator, `leader`
approves, assigns and decides, and `district.discipline` reviews at trial. Paper records keep
their real dates through the services' `at=` and date arguments.

About 600 complaints of 2019 (the committees' escalations included) and 450 cases, in every
status; the cases still open are few in 2019 and the rest recent, so that deadlines are on
time, due soon and overdue. Sanctions decided in 2019 cover exactly SANCTIONED_CADRES[size]
distinct cadres (the district report's 321; 17 in the small district), about 67 / 22 / 5 / 6 %
by form. A township that already has cases or intake complaints is left as it is.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from cases import choices, services
from cases import demo_data as data
from cases.choices import CaseStatus, Category, Channel
from cases.choices import SanctionType as T
from cases.demo_plan import (
    DERELICTION,
    ENDS_CASE,
    EXTENSION_AMOUNT,
    YEAR,
    Plaint,
    Planner,
    Spec,
    at_,
    shift,
)
from cases.models import Case, Complaint, ComplaintCadre, ComplaintCategory, Deadline
from cases.services.deadlines import deadline_extend
from cases.services.public import public_answer, public_rate, public_report
from oversight import roles
from villages import services as village_services
from villages.choices import VillageKind
from villages.models import Township, Village

REASON = "演示数据：2019年信访举报与案件"
# Distinct cadres with a sanction decided in 2019 (form 1 included): the district report's
# figure, and the small district's own. demo_plan.PACKAGES adds up to them.
SANCTIONED_CADRES = {"district": 321, "small": 17}
Pick = TypeVar("Pick")
# No service sets a case's amounts yet: the demo records them with their own history reason.
AMOUNTS_REASON = "演示数据：涉案金额及追缴金额"


class _Runner:
    """Enters one township's share of the plan as its demo accounts, in the order of the days."""

    def __init__(
        self, *, township: Township, discipline: User, rng: random.Random, today: datetime.date
    ) -> None:
        users = {
            u.username.rsplit(".", 1)[1]: u
            for u in User.objects.filter(username__startswith=f"township.{township.code}.")
        }
        self.staff, self.staff2, self.leader = users["staff"], users["staff2"], users["leader"]
        self.discipline = discipline
        self.township = township
        self.rng = rng
        self.today = today
        self.decisions: dict[int, int] = {}
        self.counts = {"complaints": 0, "cases": 0, "sanctions": 0, "appeals": 0}
        self.ratings = 0

    def pick(self, texts: Sequence[Pick]) -> Pick:
        """One of the texts (or pairs of them)."""
        return self.rng.choice(texts)

    def done(self, day: datetime.date) -> bool:
        """Whether something planned for `day` has happened by now (yesterday at the latest)."""
        return day < self.today

    def run(self, specs: list[Spec], plaints: list[Plaint]) -> None:
        """Receive the new complaints, then take each case through, then settle the rest."""
        committee = [p.committee for p in plaints if p.committee is not None]
        loaded = Complaint.objects.in_bulk(committee)
        for plaint in plaints:
            if plaint.committee is not None:
                plaint.obj = loaded[plaint.committee]
        for plaint in sorted((p for p in plaints if p.committee is None), key=lambda p: p.received):
            self.receive(plaint)
        for spec in sorted(specs, key=lambda s: s.days[0]):
            self.case(spec)
        for plaint in plaints:
            if plaint.fate != "case":
                self.settle(plaint)

    # --- Complaints --------------------------------------------------------------------------

    def receive(self, plaint: Plaint) -> None:
        """Enter a complaint at intake, or as a villager through the public page."""
        when = at_(plaint.received, self.rng.randint(0, 15))
        if plaint.channel == Channel.ONLINE:
            plaint.obj, plaint.receipt = public_report(
                village=plaint.village,
                categories=plaint.categories,
                description=plaint.content,
                reporter=plaint.reporter,
                anonymous=plaint.reporter is None,
                received_at=when,
            )
        else:
            plaint.obj = services.complaint_create(
                actor=self.staff,
                village=plaint.village,
                channel=plaint.channel,
                summary=plaint.summary,
                content=plaint.content,
                categories=plaint.categories,
                received_at=when,
                accused=plaint.accused,
                reporter=plaint.reporter,
            )
        self.counts["complaints"] += 1

    def message(self, plaint: Plaint, kind: str, body: str, day: datetime.date) -> None:
        """Write to the reporter (or the escalating committee) on `day`."""
        services.complaint_message(
            actor=self.staff, complaint=plaint.saved, kind=kind, body=body, at=at_(day, 16)
        )

    def register(self, plaint: Plaint, day: datetime.date, *, acknowledge: bool = True) -> None:
        """Accept the complaint on `day`, acknowledge a named one, ask an online reporter."""
        services.complaint_register(
            actor=self.staff,
            complaint=plaint.saved,
            note=self.pick(data.REGISTER_NOTES),
            at=at_(day, 1),
        )
        ack = shift(day, self.rng.randint(1, 8))
        if acknowledge and plaint.named and self.done(ack):
            body = data.COMMITTEE_ACKNOWLEDGEMENT if plaint.committee else None
            body = body or self.pick(data.ACKNOWLEDGEMENTS)
            self.message(plaint, choices.MessageKind.ACKNOWLEDGEMENT, body, ack)
        if plaint.question and plaint.receipt:
            question, answer = self.pick(data.QUESTIONS)
            self.message(plaint, choices.MessageKind.QUESTION, question, shift(day, 1))
            public_answer(receipt=plaint.receipt, body=answer)

    def move(
        self, plaint: Plaint, action: str, note: str, day: datetime.date, **changes: Any
    ) -> None:
        """Move the complaint on `day` (a refusal, a transfer, the closing of the loop)."""
        services.complaint_transition(
            actor=self.staff,
            complaint=plaint.saved,
            action=action,
            note=note,
            changes=changes or None,
            at=at_(day, 12),
        )

    def settle(self, plaint: Plaint) -> None:
        """A complaint that leads to no case: refused, passed on, a duplicate, or still new."""
        rng = self.rng
        if plaint.fate == "received":
            return
        if plaint.fate == "duplicate":
            if plaint.named:
                body = data.DUPLICATE_ACKNOWLEDGEMENT
                self.message(plaint, choices.MessageKind.ACKNOWLEDGEMENT, body, plaint.received)
            services.complaint_mark_duplicate(
                actor=self.staff,
                complaint=plaint.saved,
                duplicate_of=plaint.original.saved if plaint.original else plaint.saved,
                note=self.pick(data.DUPLICATE_NOTES),
            )
            return
        day = shift(plaint.received, rng.randint(1, 5))
        if plaint.fate == "registered":
            self.register(plaint, min(day, shift(self.today, -1)))
            return
        self.register(plaint, day, acknowledge=False)
        decided = shift(day, rng.randint(1, 10))
        if plaint.fate == "not_accepted":
            note, body = self.pick(data.NOT_ACCEPTED_NOTES), data.NOT_ACCEPTED_ACKNOWLEDGEMENT
            self.move(plaint, choices.ComplaintAction.NOT_ACCEPT, note, decided)
        else:
            note, body = self.pick(data.TRANSFER_NOTES), data.TRANSFER_ACKNOWLEDGEMENT
            self.move(plaint, choices.ComplaintAction.TRANSFER, note, decided)
        if plaint.named:
            self.message(plaint, choices.MessageKind.ACKNOWLEDGEMENT, body, decided)

    def aftercare(self, spec: Spec, ended: datetime.date, outcome: str) -> None:
        """Tell the named reporters the result, close the loop with a summary, and let the
        public reporters rate the handling."""
        rng = self.rng
        for plaint in spec.plaints:
            day = shift(ended, rng.randint(3, 12))
            if not self.done(day):
                continue
            if plaint.named:
                body = self.pick(data.FEEDBACK[outcome])
                self.message(plaint, choices.MessageKind.FEEDBACK, body, day)
                day = shift(day, rng.randint(0, 10))
            # The loop closes with a summary; on the recent cases it has not closed yet.
            if self.done(day) and spec.era != "recent":
                summary = self.pick(data.CLOSING_SUMMARIES)
                self.move(
                    plaint, choices.ComplaintAction.CLOSE, summary, day, closing_summary=summary
                )
            if plaint.receipt and (self.ratings < 3 or rng.random() < 0.8):
                ratings = list(choices.Rating.values)
                rating = ratings[self.ratings] if self.ratings < 3 else None
                rating = rating or rng.choices(ratings, [65, 25, 10])[0]
                self.ratings += 1
                public_rate(
                    receipt=plaint.receipt,
                    rating=rating,
                    comment=self.pick(data.RATING_COMMENTS[rating]),
                )

    # --- Cases -------------------------------------------------------------------------------

    def case(self, spec: Spec) -> None:
        """Register the case's complaints, open it and make its moves on their days."""
        first, *others = spec.plaints
        self.register(first, spec.registered or spec.days[0])
        for plaint in others:
            self.register(plaint, spec.days[0])
        case = services.case_open(
            actor=self.staff,
            complaints=[p.saved for p in spec.plaints],
            summary=self.summary(spec),
            subjects=[(c, spec.categories) for c in spec.cadres],
            kind=choices.CaseKind.DERELICTION
            if spec.categories[0] in DERELICTION
            else choices.CaseKind.VIOLATION,
            note=self.pick(data.CASE_OPEN_NOTES),
            at=at_(spec.days[0], 2),
        )
        self.counts["cases"] += 1
        day, slot = spec.days[0], 2
        ended: tuple[datetime.date, str] | None = None
        sanctions: list[list[Any]] = []
        for move, on in zip(spec.tokens[1:], spec.days[1:], strict=True):
            slot = slot + 1 if on == day else 0
            day = on
            if move == "sanction":
                sanctions = self.sanction(spec, case, on)
            else:
                case = self.step(case, move, at_(on, slot))
            if spec.extend and move == spec.extend[1]:
                self.extend(case, spec.extend[0])
            if move in ENDS_CASE and ended is None:
                outcome = "established" if move == "decide" else "not_established"
                ended = (on, "transferred" if move == "transfer" else outcome)
                if spec.amounts is not None:
                    case = services.case_set_amounts(
                        actor=self.leader,
                        case=case,
                        involved=spec.amounts[0],
                        recovered=spec.amounts[1],
                        note=AMOUNTS_REASON,
                    )
        if ended is not None:
            self.aftercare(spec, *ended)
        if spec.appeal and sanctions:
            self.appeal(spec, sanctions)

    def summary(self, spec: Spec) -> str:
        """What the case is about: the village, the first subject, the first category."""
        cadre = spec.cadres[0]
        who = data.POST_NAMES.get(cadre.post, "") + cadre.name
        if len(spec.cadres) > 1:
            who += "等"
        return f"{spec.village.name}{who}{data.CASE_SUMMARIES[spec.categories[0]]}"

    def step(self, case: Case, move: str, at: datetime.datetime) -> Case:
        """One move of the pipeline, made by whoever the table says makes it."""
        kind, _, arg = move.partition(":")
        pick = self.pick
        staff, leader = self.staff, self.leader
        moves: dict[str, tuple[User, str, str]] = {
            "file": (leader, CaseStatus.FILED, pick(data.FILING_NOTES)),
            "investigate": (staff, CaseStatus.INVESTIGATING, pick(data.INVESTIGATION_NOTES)),
            "hear": (staff, CaseStatus.HEARD, pick(data.HEARING_NOTES)),
            "trial": (staff, CaseStatus.TRIAL_REVIEW, pick(data.TRIAL_NOTES)),
            "return": (self.discipline, CaseStatus.INVESTIGATING, pick(data.RETURN_NOTES)),
            "await": (self.discipline, CaseStatus.AWAITING_DECISION, pick(data.AWAITING_NOTES)),
            "decide": (leader, CaseStatus.DECIDED, pick(data.DECISION_NOTES)),
            "decide_none": (leader, CaseStatus.DECIDED, pick(data.DECISION_NOTES)),
            "execute": (staff, CaseStatus.EXECUTING, pick(data.EXECUTION_NOTES)),
            "close": (staff, CaseStatus.CLOSED, pick(data.CLOSING_NOTES)),
            "withdraw": (leader, CaseStatus.WITHDRAWN, pick(data.WITHDRAW_NOTES)),
            "transfer": (leader, CaseStatus.TRANSFERRED, pick(data.JUDICIAL_NOTES)),
        }
        extra: dict[str, str] = {}
        actor: User
        to: str
        if kind == "propose":
            actor, to, note = staff, CaseStatus.DISPOSITION_PROPOSED, pick(data.PROPOSALS[arg])
            extra["disposition"] = arg
        elif kind == "approve":
            actor, to, note = leader, arg, pick(data.APPROVALS)
            if arg == CaseStatus.CLOSED_NO_ACTION:
                extra["result_summary"] = pick(data.RESULT_SUMMARIES["cleared"])
        else:
            actor, to, note = moves[kind]
        if (
            kind == "trial"
            and not case.assignments.filter(role=choices.AssignmentRole.TRIAL_REVIEWER).exists()
        ):
            services.case_assign(
                actor=leader,
                case=case,
                user=self.discipline,
                role=choices.AssignmentRole.TRIAL_REVIEWER,
            )
        if kind == "decide":
            extra["result_summary"] = pick(data.RESULT_SUMMARIES["sanctioned"])
        if kind == "decide_none":
            extra["no_sanction_reason"] = pick(data.NO_SANCTION_REASONS)
        if kind == "withdraw":
            extra["clarification"] = pick(data.CLARIFICATIONS)
        if kind == "transfer":
            extra["result_summary"] = data.RESULT_SUMMARIES["transferred"][0]
            if case.status == CaseStatus.REGISTERED:
                note = data.EARLY_TRANSFER_NOTES[0]
        case = services.case_transition(actor=actor, case=case, to=to, note=note, at=at, **extra)
        if kind == "file":
            for investigator in (staff, self.staff2):
                services.case_assign(
                    actor=leader,
                    case=case,
                    user=investigator,
                    role=choices.AssignmentRole.INVESTIGATOR,
                )
        return case

    def sanction(self, spec: Spec, case: Case, on: datetime.date) -> list[list[Any]]:
        """Record what the decision gives each subject, under one decision number."""
        number = self.decisions.get(on.year, 0) + 1
        self.decisions[on.year] = number
        decision_no = f"{self.township.name[:2]}纪处〔{on.year}〕{number}号"
        recorded = []
        for cadre, types in zip(spec.cadres, spec.sanctions, strict=True):
            recorded.append(
                [
                    services.sanction_record(
                        actor=self.leader,
                        case=case,
                        cadre=cadre,
                        type=kind,
                        decided_on=on,
                        decision_no=decision_no,
                        probation_years=years,
                        note=self.pick(data.SANCTION_NOTES),
                    )
                    for kind, years in types
                ]
            )
            self.counts["sanctions"] += len(types)
        return recorded

    def extend(self, case: Case, stage: str) -> None:
        """The leader extends the stage's open deadline by what its rule allows."""
        deadline = (
            Deadline.objects.filter(case=case, stage=stage)
            .exclude(state=choices.DeadlineState.MET)
            .first()
        )
        if deadline is not None:
            deadline_extend(
                actor=self.leader,
                deadline=deadline,
                amount=EXTENSION_AMOUNT[stage],
                reason=self.pick(data.EXTENSION_REASONS[stage]),
            )

    def appeal(self, spec: Spec, sanctions: list[list[Any]]) -> None:
        """The appeal planned on the first subject's sanction (the second, for a revocation)."""
        rng = self.rng
        result = spec.appeal
        sanction = sanctions[0][1 if result == "revoke" else 0]
        party = sanction.family == choices.SanctionFamily.PARTY
        level = choices.AppealLevel.PARTY if party else choices.AppealLevel.REEXAMINATION
        filed = shift(spec.day_of("decide"), rng.randint(3, 25))
        if result in ("accepted", "filed"):
            latest = shift(self.today, -2 if result == "accepted" else -1)
            filed = min(shift(spec.day_of("decide"), rng.randint(3, 8)), latest)
        appeal = services.appeal_file(
            actor=self.staff,
            sanction=sanction,
            level=level,
            filed_on=filed,
            grounds=self.pick(data.APPEAL_GROUNDS),
        )
        self.counts["appeals"] += 1
        if result == "filed":
            return
        accepted = min(shift(filed, rng.randint(1, 5)), shift(self.today, -1))
        appeal = services.appeal_accept(
            actor=self.leader, appeal=appeal, accepted_on=accepted, reviewers=[self.leader]
        )
        if result == "accepted":
            return
        changed_to = {T.PARTY_SERIOUS_WARNING: T.PARTY_WARNING, T.GOV_DEMERIT: T.GOV_WARNING}
        services.appeal_decide(
            actor=self.leader,
            appeal=appeal,
            result=result,
            decided_on=shift(accepted, rng.randint(30, 70) if party else rng.randint(15, 25)),
            note=data.APPEAL_DECISIONS[result],
            changed_to=changed_to[sanction.type] if result == "change" else "",
        )


def _second_staff(actor: User, township: Township) -> int:
    """The township's second investigator (`township.<code>.staff2`): an investigation needs
    two. Same password as the other demo accounts; returns 1 if it was created."""
    username = f"township.{township.code}.staff2"
    user = User.objects.filter(username=username).first()
    created = 0
    if user is None:
        staff = User.objects.get(username=f"township.{township.code}.staff")
        user = User(username=username, first_name=f"{township.name}纪委监察员")
        user.password = staff.password  # the demo password's hash, as the others have
        user.save()
        created = 1
    user.groups.add(Group.objects.get(name=roles.TOWNSHIP_STAFF))
    village_services.jurisdiction_grant(actor=actor, user=user, township=township, reason=REASON)
    return created


def _escalations() -> list[tuple[int, int, datetime.date, list[str], list[int]]]:
    """The committees' escalations of 2019 as the ledger made them: (pk, village, day received,
    categories, accused cadres)."""
    rows = list(
        Complaint.objects.filter(channel=Channel.COMMITTEE, received_at__year=YEAR)
        .order_by("received_at", "pk")
        .values_list("pk", "village_id", "received_at")
    )
    categories: dict[int, list[str]] = {}
    for pk, code in ComplaintCategory.objects.filter(
        complaint__in=[r[0] for r in rows]
    ).values_list("complaint_id", "category"):
        categories.setdefault(pk, []).append(code)
    accused: dict[int, list[int]] = {}
    for pk, cadre in ComplaintCadre.objects.filter(complaint__in=[r[0] for r in rows]).values_list(
        "complaint_id", "cadre_id"
    ):
        accused.setdefault(pk, []).append(cadre)
    return [
        (pk, village, timezone.localtime(at).date(), categories.get(pk, [Category.OTHER]),
         accused.get(pk, []))
        for pk, village, at in rows
    ]  # fmt: skip


def seed_cases(
    *, actor: Any, size: str, seed: int, progress: Callable[[str], None] = lambda _m: None
) -> dict[str, int]:
    """Create the demo's complaints, cases, sanctions and appeals; nothing on a second run."""
    started = timezone.now()
    # Labels as `seed_demo` prints them after its own counts.
    totals = {
        "complaints besides the committees' escalations": 0,
        "cases": 0,
        "sanctions": 0,
        "appeals": 0,
        "second township staff accounts": 0,
    }
    townships = list(Township.objects.order_by("code"))
    with transaction.atomic():
        for township in townships:
            totals["second township staff accounts"] += _second_staff(actor, township)
    if not Village.objects.filter(kind=VillageKind.VILLAGE).exists():
        return totals
    today = timezone.localdate()
    specs, plaints = Planner(size=size, seed=seed, today=today).plan(_escalations())
    planned = len(Planner.sanctioned(specs))
    if planned != SANCTIONED_CADRES[size]:  # a bug in the plan, not a state of the data
        raise RuntimeError(f"The plan sanctions {planned} cadres in {YEAR}.")
    discipline = User.objects.get(username="district.discipline")
    ratings = 0
    for township in townships:
        own = [s for s in specs if s.village.township_id == township.pk]
        if not own:
            continue
        intake = Complaint.objects.filter(village__township=township).exclude(
            channel=Channel.COMMITTEE
        )
        if Case.objects.filter(village__township=township).exists() or intake.exists():
            continue  # seeded already
        runner = _Runner(
            township=township,
            discipline=discipline,
            rng=random.Random(f"{seed}-cases-{township.code}"),  # noqa: S311
            today=today,
        )
        runner.ratings = ratings
        with transaction.atomic():
            runner.run(own, [p for p in plaints if p.village.township_id == township.pk])
        ratings = runner.ratings
        for key, value in runner.counts.items():
            label = "complaints besides the committees' escalations" if key == "complaints" else key
            totals[label] += value
        progress(
            f"{township.name}: 信访举报 {runner.counts['complaints']} 件，"
            f"案件 {runner.counts['cases']} 件"
        )
    seconds = (timezone.now() - started).total_seconds()
    progress(f"信访举报与案件：{seconds:.1f}s")
    return totals
