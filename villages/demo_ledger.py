"""The 2019 ledger of every demo committee (issue #3 §7), entered through the review services.

Each village gets a dozen or more reviews (REVIEWS_PER_VILLAGE), at least one in every month of
2019, recorded, signed and answered by its own demo accounts: the members of the committee in
office (who keep the ledger, earlier years included) and the village officer, who answers
inquiries. A rotation gives every village two of the eight risks the flags look for, so that each
flag code is open somewhere in the district, the small one included. The ledger costs most of the
seeding time: every review passes through four or five service calls of 20 to 40 queries each.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from oversight.services import tracked_save
from villages import choices, services
from villages import demo_ledger_data as data
from villages.choices import FlagCode, Outcome, ReviewKind
from villages.demo_data import GIVEN, SURNAMES
from villages.models import (
    Cadre,
    CommitteeMembership,
    PowerItem,
    Review,
    SpendingThresholds,
    Village,
)
from villages.services.flags import review_refresh_flags

YEAR = 2019
REVIEWS_PER_VILLAGE = {"district": 12, "small": 8}
REASON = "演示数据：2019年台账"
OVERDUE_REASON = "演示数据：2019年质询"
YEAR_END = datetime.date(YEAR, 12, 31)

# How a review goes once submitted.
APPROVE = "approve"  # a majority of the committee signs it
RETURN = "return"  # the chair returns it for correction
REFUSE = "refuse"  # the chair refuses to sign
ANSWERED = "answered"  # inquiry or recommendation, answered by the officer, accepted by the chair
OVERDUE = "overdue"  # inquiry the village never answered: due in 2019, flagged overdue
ESCALATE = "escalate"  # the chair reports it to the township discipline commission at once
ESCALATE_AFTER = "escalate_after"  # asked first, then escalated (after no or a weak answer)

# Cadres who handle the money, by the posts that usually do.
HANDLER_POSTS = {"director", "deputy_director", "committee_member", "accountant", "clerk"}
FIXED_POOLS = {"power", "telecom", "post"}  # real companies: one payee each, paid at most once


@dataclass(eq=False)
class _Plan:
    """One review to enter: its fields, and how the committee deals with it."""

    kind: str
    on: datetime.date
    fields: dict[str, Any]
    path: str = APPROVE
    outcome: str = ""  # the chair's outcome, for the paths that do not approve
    opinion: str = ""
    note: str = ""  # what an escalation tells the discipline commission
    stages: list[dict[str, Any]] | None = None
    entries: list[dict[str, Any]] | None = None
    cadres: list[Cadre] | None = None
    link: _Plan | None = None  # the 4+2 decision a payment carries out
    voucher_of: _Plan | None = None  # reuses that payment's voucher number
    review: Review | None = field(default=None, repr=False)


class _Ledger:
    """One village's 2019 ledger: plans it, then enters it as the village's people."""

    def __init__(
        self,
        *,
        actor: User,
        village: Village,
        rng: random.Random,
        power: dict[str, PowerItem],
        members: list[CommitteeMembership],
        cadres: list[Cadre],
    ) -> None:
        self.actor = actor
        self.village = village
        self.rng = rng
        self.power = power
        self.members = [m.user for m in members if m.user is not None]
        self.chair = next(m.user for m in members if m.role == choices.MemberRole.CHAIR and m.user)
        self.officer = next((c.user for c in cadres if c.user is not None), None)
        self.cadres = cadres
        self.handlers = [c for c in cadres if c.post in HANDLER_POSTS] or cadres
        self.names = {m.person_name for m in members} | {c.name for c in cadres}
        self.payees: set[str] = set()
        self.deck = rng.sample(data.SPENDING, len(data.SPENDING))
        thresholds = SpendingThresholds.objects.filter(township_id=village.township_id).first()
        self.decision_tier = (thresholds or SpendingThresholds()).decision_required_from
        self.reply_days = village.township.inquiry_reply_days

    # --- Small makings ---------------------------------------------------------------------------

    def day(self, month: int, first: int = 1, last: int = 28) -> datetime.date:
        return datetime.date(YEAR, month, self.rng.randint(first, last))

    def person(self) -> str:
        while True:
            given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2))))
            name = self.rng.choice(SURNAMES) + given
            if name not in self.names:
                self.names.add(name)
                return name

    def amount(self, low: int, high: int) -> Decimal:
        value = Decimal(self.rng.randint(low, high))
        if self.rng.random() < 0.5:  # many village payments are round sums
            value = value.quantize(Decimal("1E1") if value < 1000 else Decimal("1E2"))
        else:
            value += Decimal(self.rng.choice((0, 50, self.rng.randint(1, 99)))) / 100
        return max(value, Decimal(low)).quantize(Decimal("0.01"))

    def payee(self, pool: str) -> str:
        if pool == "person":
            return self.person()
        if pool in FIXED_POOLS:
            return self.rng.choice(data.PAYEES[pool])
        while True:
            trade = "".join(self.rng.sample(data.TRADE_NAMES, 2))
            name = f"{self.rng.choice(data.PLACES)}{trade}{self.rng.choice(data.PAYEES[pool])}"
            if name not in self.payees:
                self.payees.add(name)
                return name

    def template(self, *, split: bool = False) -> tuple[str, str, str, tuple[int, int], str]:
        """The next routine voucher, each at most once a village (no payee paid twice by chance)."""
        if not self.deck:
            reusable = [t for t in data.SPENDING if t[2] not in FIXED_POOLS]
            self.deck = self.rng.sample(reusable, len(reusable))
        if split:
            for index, item in enumerate(self.deck):
                if item[3][1] >= 4500 and item[2] not in FIXED_POOLS | {"person"}:
                    return self.deck.pop(index)
            return data.SPENDING[4]  # 路灯维修
        return self.deck.pop()

    def item(self, code: str) -> PowerItem | None:
        return self.power.get(code)

    def spending(
        self,
        on: datetime.date,
        template: tuple[str, str, str, tuple[int, int], str] | None = None,
        *,
        payee: str = "",
        low_high: tuple[int, int] | None = None,
        invoice: str = "",
    ) -> _Plan:
        title, purpose, pool, limits, code = template or self.template()
        payee = payee or self.payee(pool)
        handler = self.rng.choice(self.handlers)
        if not invoice:
            receipt = pool == "person" and self.rng.random() < 0.7
            invoice = choices.InvoiceType.RECEIPT if receipt else choices.InvoiceType.INVOICE
        fields = {
            "title": title.format(month=on.month),
            "occurred_on": on,
            "power_item": self.item(code),
            "description": f"经手人：{handler.name}；证明人：{self.rng.choice(self.cadres).name}。",
            "amount": self.amount(*(low_high or limits)),
            "payee": payee,
            "purpose": purpose.format(month=on.month),
            "handler": handler,
            "invoice_type": invoice,
        }
        return _Plan(ReviewKind.SPENDING, on, fields, path=self.normal_path(money=True))

    def stages(
        self, on: datetime.date, *, out_of_order: bool = False, no_quorum: bool = False
    ) -> list[dict[str, Any]]:
        """The six stages of a 4+2 decision resolved on `on`, held in order with a quorum unless
        the decision is to show what the flags look for."""
        rng = self.rng
        party_meeting = on - datetime.timedelta(days=rng.randint(2, 6))
        two_committees = party_meeting - datetime.timedelta(days=rng.randint(2, 6))
        proposal = two_committees - datetime.timedelta(days=rng.randint(1, 5))
        published = min(on + datetime.timedelta(days=rng.randint(1, 3)), YEAR_END)
        result = min(on + datetime.timedelta(days=rng.randint(15, 40)), YEAR_END)
        if out_of_order and rng.random() < 0.5:
            published = on - datetime.timedelta(days=rng.randint(1, 3))  # published before voted
        elif out_of_order:
            proposal, two_committees = two_committees, proposal  # deliberated before proposed
        party, representatives = rng.randint(18, 60), rng.randint(25, 45)
        party_present = rng.randint(-(-2 * party // 3), party)
        present = rng.randint(-(-2 * representatives // 3), representatives)
        if no_quorum and rng.random() < 0.5:
            party_present = rng.randint(party // 3, -(-2 * party // 3) - 1)
        elif no_quorum:
            present = rng.randint(representatives // 3, -(-2 * representatives // 3) - 1)
        against = rng.randint(0, 2)
        abstain = rng.randint(0, 2)
        dates = [proposal, two_committees, party_meeting, on, published, result]
        stages: list[dict[str, Any]] = [
            {"stage": code, "held_on": held_on}
            for code, held_on in zip(choices.DecisionStageCode.values, dates, strict=True)
        ]
        stages[1].update(expected=7, attended=7)
        stages[2].update(expected=party, attended=party_present, votes_for=party_present)
        stages[3].update(expected=representatives, attended=present, votes_against=against)
        stages[3].update(votes_for=present - against - abstain, votes_abstain=abstain)
        return stages

    def normal_path(self, *, money: bool) -> str:
        roll = self.rng.random()
        if roll < 0.80:
            return APPROVE
        if roll < 0.87:
            return RETURN if money else ANSWERED
        if roll < 0.90:
            return REFUSE if money else APPROVE
        if roll < 0.985:
            return ANSWERED
        return ESCALATE_AFTER

    # --- Groups of reviews, one month each -----------------------------------------------------

    def routine(self, month: int, *, iou: bool = False) -> list[_Plan]:
        if not iou:
            return [self.spending(self.day(month))]
        persons = [t for t in self.deck if t[2] == "person"]
        template = persons[0] if persons else data.SPENDING[2]
        if template in self.deck:
            self.deck.remove(template)
        plan = self.spending(self.day(month), template, invoice=choices.InvoiceType.IOU)
        if self.rng.random() < 0.6:
            plan.path, plan.outcome = RETURN, Outcome.RETURN_FOR_CORRECTION
            plan.opinion = self.rng.choice(data.IOU_OPINIONS)
        return [plan]

    def split(self, month: int) -> list[_Plan]:
        """Payments to one payee within three weeks, each under the routine limit, not together."""
        template = self.template(split=True)
        payee = self.payee(template[2])
        first = self.rng.randint(1, 10)
        days = [first, first + self.rng.randint(3, 9)]
        if self.rng.random() < 0.3:
            days.append(first + self.rng.randint(10, 17))
        limits = (2600, 4800)  # any two add up to the routine limit
        plans = [
            self.spending(datetime.date(YEAR, month, d), template, payee=payee, low_high=limits)
            for d in days
        ]
        for number, plan in enumerate(plans[1:], start=2):
            plan.fields["title"] += f"（第{number}批）"
        for plan in plans:
            plan.path = APPROVE  # the committee did not see it; the flag does
        return plans

    def duplicate(self, month: int) -> list[_Plan]:
        """A later voucher that reuses an earlier one's number."""
        original = self.spending(self.day(month, 1, 12))
        original.path = APPROVE
        copy = self.spending(self.day(month, 15, 28))
        copy.voucher_of = original
        if self.rng.random() < 0.7:
            copy.path, copy.outcome = REFUSE, Outcome.REFUSE
            copy.opinion = self.rng.choice(data.DUPLICATE_OPINIONS)
        return [original, copy]

    def large(self, month: int, *, decided: bool = True) -> list[_Plan]:
        """A payment above the decision tier, with (or, to be flagged, without) its 4+2 decision."""
        topic, kind, title, purpose, pool, (low, high), code = self.rng.choice(data.LARGE)
        words = {
            "group": self.rng.randint(1, 12),
            "length": self.rng.randrange(300, 2000, 50),
            "area": self.rng.randint(20, 120),
        }
        on = self.day(month, 15, 28)
        fields: dict[str, Any] = {
            "title": title.format(**words),
            "occurred_on": on,
            "power_item": self.item(code),
            "amount": max(self.amount(low, high), self.decision_tier),
            "payee": self.payee(pool),
            "purpose": purpose.format(**words),
            "handler": self.rng.choice(self.handlers),
        }
        if kind == ReviewKind.SPENDING:
            fields["invoice_type"] = choices.InvoiceType.INVOICE
        payment = _Plan(kind, on, fields, path=self.normal_path(money=True))
        if not decided:
            payment.path = self.rng.choice((ANSWERED, ESCALATE_AFTER, REFUSE))
            payment.outcome = Outcome.RECOMMEND_CORRECTION
            if payment.path == REFUSE:
                payment.outcome, payment.opinion = Outcome.REFUSE, data.REFUSE_OPINIONS[0]
            else:
                payment.opinion = self.rng.choice(data.OVER_TIER_OPINIONS)
                payment.note = data.ESCALATE_NOTES[2]
            return [payment]
        decision = self.decision(month, topic.format(**words))
        payment.link = decision[0]
        return [*decision, payment]

    def decision(
        self, month: int, topic: str, *, out_of_order: bool = False, no_quorum: bool = False
    ) -> list[_Plan]:
        on = self.day(month, 3, 12)  # its payment follows later in the month
        fields = {
            "title": f"关于{topic}的决议",
            "occurred_on": on,
            "power_item": self.item("XW-01-01"),
            "description": "按“四议两公开”程序决策，会议记录及表决结果已存档。",
        }
        stages = self.stages(on, out_of_order=out_of_order, no_quorum=no_quorum)
        plan = _Plan(ReviewKind.DECISION, on, fields, self.normal_path(money=False), stages=stages)
        if out_of_order:
            plan.path = self.rng.choice((APPROVE, ANSWERED))
            plan.outcome = Outcome.INQUIRY
            plan.opinion = self.rng.choice(data.OUT_OF_ORDER_OPINIONS)
        if no_quorum:
            plan.path, plan.outcome = ANSWERED, Outcome.RECOMMEND_CORRECTION
            plan.opinion = self.rng.choice(data.NO_QUORUM_OPINIONS)
        return [plan]

    def bad_decision(self, month: int, *, out_of_order: bool) -> list[_Plan]:
        topic = self.rng.choice(data.MEETING_TOPICS)
        return self.decision(month, topic, out_of_order=out_of_order, no_quorum=not out_of_order)

    def small_asset(self, month: int) -> list[_Plan]:
        title, purpose, pool, (low, high), code = self.rng.choice(data.SMALL_ASSETS)
        on = self.day(month)
        fields = {
            "title": title.format(area=self.rng.randint(5, 40)),
            "occurred_on": on,
            "power_item": self.item(code),
            "amount": self.amount(low, high),
            "payee": self.payee(pool),
            "purpose": purpose,
            "handler": self.rng.choice(self.handlers),
        }
        return [_Plan(ReviewKind.ASSET, on, fields, path=self.normal_path(money=True))]

    def disclosure(self, month: int) -> list[_Plan]:
        title, code, items = self.rng.choice(data.DISCLOSURES)
        monthly = code == "XW-06-02" and self.rng.random() < 0.5
        period = f"{month}月" if monthly else data.QUARTERS[(month - 1) // 3]
        on = self.day(month)
        channel = self.rng.choice(["board", "board", "board", "online", "meeting"])
        fields = {
            "title": title.format(period=period),
            "occurred_on": on,
            "power_item": self.item(code),
            "period": f"{YEAR}年{period}",
            "channel": channel,
            "items": items,
            "published_on": on,
        }
        plan = _Plan(ReviewKind.DISCLOSURE, on, fields, path=self.normal_path(money=False))
        if plan.path == ANSWERED:
            plan.outcome, plan.opinion = Outcome.RECOMMEND_CORRECTION, data.RECOMMEND_OPINIONS[2]
        return [plan]

    def roster(self, month: int, *, relative: bool = False) -> list[_Plan]:
        programme, title, code, (low, high) = self.rng.choice(data.ROSTERS)
        entries = [
            {
                "household_head": self.person(),
                "persons": self.rng.randint(1, 5),
                "monthly_amount": Decimal(self.rng.randint(low // 10, high // 10) * 10),
            }
            for _ in range(self.rng.randint(3, 7))
        ]
        on = self.day(month, 10, 28)
        fields = {"title": title, "occurred_on": on, "power_item": self.item(code)}
        plan = _Plan(ReviewKind.ROSTER, on, {**fields, "programme": programme}, entries=entries)
        plan.path = self.normal_path(money=False)
        if relative:
            name, opinion = self.declare_relative()
            self.rng.choice(entries)["household_head"] = name
            plan.path = self.rng.choice((ESCALATE, ESCALATE_AFTER))
            plan.outcome, plan.opinion = Outcome.INQUIRY, opinion
            plan.note = data.ESCALATE_NOTES[1]
            if plan.path == ESCALATE:
                plan.outcome = Outcome.ESCALATE
        return [plan]

    def declare_relative(self) -> tuple[str, str]:
        """A cadre declares a close relative (近亲属备案) on taking office; returns the relative's
        name and what the committee would write on finding them on a roster."""
        cadre = self.rng.choice(self.cadres)
        relation, word, same_surname = self.rng.choice(data.RELATIONS)
        name = self.person()
        if same_surname and cadre.name[0] + name[1:] not in self.names:
            name = cadre.name[0] + name[1:]
            self.names.add(name)
        services.relative_declare(
            actor=self.actor,
            cadre=cadre,
            name=name,
            relation=relation,
            declared_on=cadre.term_start,
            reason=REASON,
        )
        opinion = self.rng.choice(data.RELATIVE_OPINIONS)
        return name, opinion.format(name=name, cadre=cadre.name, relation=word)

    def inquiry(self, month: int, *, overdue: bool = False) -> list[_Plan]:
        subject, description, code = self.rng.choice(data.INQUIRIES)
        on = self.day(month)
        fields = {
            "title": f"关于{subject}的质询",
            "occurred_on": on,
            "power_item": self.item(code),
            "description": description,
        }
        director = [c for c in self.cadres if c.post == choices.CadrePost.DIRECTOR]
        plan = _Plan(ReviewKind.INQUIRY, on, fields, cadres=director, outcome=Outcome.INQUIRY)
        plan.path = OVERDUE if overdue else self.rng.choice([ANSWERED] * 5 + [ESCALATE_AFTER])
        plan.opinion = self.rng.choice(data.INQUIRY_OPINIONS)
        return [plan]

    def appraisal(self, month: int) -> list[_Plan]:
        on = self.day(month)
        fields = {
            "title": self.rng.choice(data.APPRAISALS),
            "occurred_on": on,
            "description": f"参加评议{self.rng.randint(25, 60)}人，评议结果已公开。",
        }
        return [_Plan(ReviewKind.APPRAISAL, on, fields)]

    def meeting(self, month: int) -> list[_Plan]:
        on = self.day(month)
        topic = self.rng.choice(data.MEETING_TOPICS)
        title = self.rng.choice(data.MEETINGS).format(topic=topic, month=month)
        fields = {"title": title, "occurred_on": on, "description": f"议题：{topic}。"}
        if "党员大会" in title or "村民代表" in title:
            fields["power_item"] = self.item("XW-01-01")
        return [_Plan(ReviewKind.MEETING, on, fields)]

    # --- The year ------------------------------------------------------------------------------

    def plan(self, count: int, risks: list[str]) -> list[_Plan]:
        """At least `count` reviews, one group of them a month first (every month once when
        `count` is 12 or more), the risky groups first."""
        risky: dict[str, Callable[[int], list[_Plan]]] = {
            FlagCode.OVER_THRESHOLD_MISSING_STEP: lambda m: self.large(m, decided=False),
            FlagCode.SPLIT_PAYMENT: self.split,
            FlagCode.DUPLICATE_VOUCHER: self.duplicate,
            FlagCode.IOU_NOTE: lambda m: self.routine(m, iou=True),
            FlagCode.DECISION_OUT_OF_ORDER: lambda m: self.bad_decision(m, out_of_order=True),
            FlagCode.DECISION_NO_QUORUM: lambda m: self.bad_decision(m, out_of_order=False),
            FlagCode.RELATIVE_BENEFICIARY: lambda m: self.roster(m, relative=True),
            FlagCode.INQUIRY_OVERDUE: lambda m: self.inquiry(m, overdue=True),
        }
        builders: list[Callable[[int], list[_Plan]]] = [self.routine, self.large, self.disclosure]
        builders += [self.small_asset, self.roster, self.inquiry, self.appraisal, self.meeting]
        weights = [44, 9, 10, 5, 6, 6, 4, 9]  # routine vouchers most often
        months = self.rng.sample(range(1, 13), 12)
        plans: list[_Plan] = []
        group = 0
        while group < len(risks) or group < min(count, 12) or len(plans) < count:
            month = months[group] if group < 12 else self.rng.randint(1, 12)
            if group < len(risks):
                plans += risky[risks[group]](month)
            else:
                plans += self.rng.choices(builders, weights)[0](month)
            group += 1
        order = {id(p): n for n, p in enumerate(plans)}
        plans.sort(key=lambda p: (p.on, order[id(p)]))
        number = self.rng.randint(5, 30)
        for plan in plans:
            if plan.kind != ReviewKind.SPENDING:
                continue
            if plan.voucher_of is not None:
                plan.fields["voucher_no"] = plan.voucher_of.fields["voucher_no"]
            else:
                number += self.rng.randint(3, 14)
                plan.fields["voucher_no"] = f"{YEAR}-{number:04d}"
        return plans

    def enter(self, plan: _Plan) -> Review:
        """Record, submit and see `plan` through as the committee and the village officer."""
        rng = self.rng
        author = rng.choice(self.members)
        fields = dict(plan.fields)
        if plan.link is not None:
            fields["linked_decision"] = plan.link.review
        review = services.review_create(
            actor=author,
            village=self.village,
            kind=plan.kind,
            fields=fields,
            cadres=plan.cadres,
            stages=plan.stages,
            entries=plan.entries,
            reason=REASON,
        )
        plan.review = review
        review = services.review_submit(actor=author, review=review)
        if plan.path == APPROVE:
            for signer in rng.sample(self.members, len(self.members) // 2 + 1):
                opinion = rng.choice(data.APPROVE_OPINIONS) if rng.random() < 0.2 else ""
                review = services.review_sign(
                    actor=signer, review=review, outcome=Outcome.APPROVE, opinion=opinion
                )
            return review
        outcome = plan.outcome or {
            RETURN: Outcome.RETURN_FOR_CORRECTION,
            REFUSE: Outcome.REFUSE,
            ESCALATE: Outcome.ESCALATE,
        }.get(plan.path, Outcome.RECOMMEND_CORRECTION)
        opinion = plan.opinion or {
            RETURN: rng.choice(data.RETURN_OPINIONS),
            REFUSE: rng.choice(data.REFUSE_OPINIONS),
            ESCALATE: rng.choice(data.ESCALATE_NOTES),
        }.get(plan.path, rng.choice(data.RECOMMEND_OPINIONS))
        review = services.review_sign(
            actor=self.chair,
            review=review,
            outcome=outcome,
            opinion=opinion,
            # An escalation is dated in 2019: the complaint it becomes is part of that year.
            at=_on_paper(plan.on) if plan.path == ESCALATE else None,
        )
        if plan.path == ANSWERED:
            review = self.respond(review, rng.choice(data.RESPONSES))
            return services.review_accept(
                actor=self.chair, review=review, opinion=rng.choice(data.ACCEPT_OPINIONS)
            )
        if plan.path == OVERDUE:
            review.response_due = min(plan.on + datetime.timedelta(days=self.reply_days), YEAR_END)
            tracked_save(review, actor=self.actor, reason=OVERDUE_REASON)
            review_refresh_flags(review, actor=self.actor, reason=OVERDUE_REASON)
            return review
        if plan.path == ESCALATE_AFTER:
            if rng.random() < 0.5:
                review = self.respond(review, rng.choice(data.WEAK_RESPONSES))
            return services.review_escalate(
                actor=rng.choice(self.members),
                review=review,
                note=plan.note or rng.choice(data.ESCALATE_NOTES[:1]),
                at=_on_paper(min(plan.on + datetime.timedelta(days=self.reply_days + 5), YEAR_END)),
            )
        return review

    def respond(self, review: Review, response: str) -> Review:
        if self.officer is not None:
            return services.review_respond(actor=self.officer, review=review, response=response)
        return services.review_respond(
            actor=self.chair, review=review, response=response, on_paper=True
        )


def _on_paper(day: datetime.date) -> datetime.datetime:
    """Ten in the morning of `day`, Beijing time: when a 2019 escalation is dated."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))


def seed_ledger(
    *,
    actor: User,
    village: Village,
    seed: int,
    count: int,
    ordinal: int,
    power: dict[str, PowerItem],
) -> int:
    """Enter the village's 2019 ledger unless it has reviews already (or `count` is 0); returns
    how many reviews it entered."""
    if count <= 0 or Review.objects.filter(village=village).exists():
        return 0
    committee = village.active_committee()
    if committee is None:
        return 0
    members = list(
        committee.memberships.filter(end__isnull=True, user__isnull=False)
        .select_related("user")
        .order_by("role", "pk")
    )
    cadres = list(
        Cadre.objects.filter(village=village, term_end__isnull=True)
        .select_related("user")
        .order_by("pk")
    )
    if not members or not cadres:
        return 0
    rng = random.Random(f"{seed}-{village.code}-ledger")
    ledger = _Ledger(
        actor=actor, village=village, rng=rng, power=power, members=members, cadres=cadres
    )
    codes = list(choices.REVIEW_FLAG_CODES)  # a committee's inactivity is not a review's risk
    risks = [codes[(2 * ordinal) % 8], codes[(2 * ordinal + 1) % 8]]
    if rng.random() < 0.25:
        risks.append(rng.choice([c for c in codes if c not in risks]))
    plans = ledger.plan(count, risks)
    if rng.random() < 0.3:
        ledger.declare_relative()  # declared, and on no roster of 2019
    for plan in plans:
        ledger.enter(plan)
    return len(plans)
