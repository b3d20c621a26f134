"""The generated district's records, village by village and year by year (bench/generate.py):
reviews with their signatures, answers and flags here; complaints and cases in
bench/plan_cases.py. Every record is written as its successive versions through bench/bulk.py."""

from __future__ import annotations

import datetime
import hashlib
import random
from decimal import Decimal
from typing import Any

from bench.plan_cases import CasesMixin, _moment

REVIEWS_PER_VILLAGE_YEAR = 288
TIMELINE_VERSIONS = 50


class Plan(CasesMixin):
    """What one generation writes, village by village and year by year."""

    def __init__(self, bulk: Any, *, seed: int, scale: float, years: list[int]) -> None:
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.utils import translation

        from villages.models import Cadre, CommitteeMembership, Village

        self.bulk = bulk
        self.rng = random.Random(seed)
        self.scale = scale
        self.years = years
        self.end = datetime.date(years[-1], 12, 31)
        user_model = get_user_model()
        for user in user_model.objects.all():
            bulk.actor(user.pk, user.get_full_name() or user.get_username())
        self.users = {u.username: u.pk for u in user_model.objects.all()}
        self.usernames = {pk: name for name, pk in self.users.items()}
        self.villages = list(Village.objects.select_related("township").order_by("code"))
        self.members: dict[int, list[tuple[int, int | None, str]]] = {}
        today = datetime.date.today()
        for membership in CommitteeMembership.objects.select_related("committee").order_by(
            "committee__village", "role", "pk"
        ):
            if membership.end is None and membership.committee.term_start <= today:
                self.members.setdefault(membership.committee.village_id, []).append(
                    (membership.pk, membership.user_id, membership.person_name)
                )
        with translation.override(settings.LANGUAGE_CODE):
            self.cadres: dict[int, list[tuple[int, str, str, bool]]] = {}
            for cadre in Cadre.objects.order_by("village", "pk"):
                self.cadres.setdefault(cadre.village_id, []).append(
                    (cadre.pk, cadre.name, str(cadre), cadre.is_party_member)
                )
        self.numbers: dict[tuple[str, int], int] = {}
        self.reasons = _reasons()
        self.labels = _labels()

    # --- reviews ------------------------------------------------------------------------------

    def reviews(self, village: Any, year: int) -> int:
        rng = self.rng
        members = self.members.get(village.pk, [])
        signers = [m for m in members if m[1] is not None][:3]
        if not signers:
            return 0
        count = max(1, round(REVIEWS_PER_VILLAGE_YEAR * self.scale))
        days = sorted(
            datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randrange(365))
            for _ in range(count)
        )
        cadres = self.cadres.get(village.pk, [])
        accountant: int | None = next(
            (c[0] for c in cadres if "会计" in c[2] or "Accountant" in c[2]),
            cadres[0][0] if cadres else None,
        )
        for index, day in enumerate(days, start=1):
            self.review(village, year, index, day, signers, accountant)
        if year == self.years[-1]:
            self.edited_draft(village, year, signers[0])
        return count

    def review(
        self,
        village: Any,
        year: int,
        index: int,
        day: datetime.date,
        signers: list[tuple[int, int | None, str]],
        handler_id: int | None,
    ) -> None:
        from villages.models import Review, ReviewSignature, RiskFlag

        rng, bulk, reasons = self.rng, self.bulk, self.reasons
        recorder = signers[0][1]
        roll = rng.random()
        kind = (
            "spending"
            if roll < 0.6
            else "disclosure"
            if roll < 0.75
            else "meeting"
            if roll < 0.9
            else "project"
            if roll < 0.95
            else "asset"
        )
        review_id = bulk.new_id(Review)
        values: dict[str, Any] = {
            "id": review_id,
            "village_id": village.pk,
            "kind": kind,
            "occurred_on": day,
            "created_by_id": recorder,
            "status": "draft",
        }
        if kind in ("spending", "project", "asset"):
            amount = Decimal(rng.randrange(5_000, 480_000)) / 100
            values.update(
                title=f"{PURPOSES[index % len(PURPOSES)]}（{year}-{index:04d}）",
                amount=amount,
                payee=PAYEES[rng.randrange(len(PAYEES))],
                purpose=PURPOSES[index % len(PURPOSES)],
            )
            if kind == "spending":
                values.update(
                    voucher_no=f"{year}-{index:04d}",
                    invoice_type=rng.choices(["invoice", "receipt", "iou"], [90, 7, 3])[0],
                    handler_id=handler_id,
                )
        elif kind == "disclosure":
            quarter = (day.month - 1) // 3 + 1
            values.update(
                title=f"{year}年第{quarter}季度村务公开",
                channel=rng.choice(["board", "wechat", "meeting"]),
                period=f"{year}Q{quarter}",
                items="财务收支、惠民资金、工程项目",
                published_on=day,
            )
        else:
            values.update(title=f"村务监督委员会例会（{day:%m月%d日}）")
        t = _moment(day, rng)
        versions = [(dict(values), t, recorder, reasons["recorded"])]
        t += datetime.timedelta(hours=rng.randrange(1, 48))
        values.update(status="submitted", submitted_at=t)
        versions.append((dict(values), t, recorder, reasons["submitted"]))
        inquiry = kind == "spending" and rng.random() < 0.05
        outcome = "inquiry" if inquiry else "approve"
        signed_at = t
        for membership_id, user_id, person in signers:
            signed_at += datetime.timedelta(minutes=rng.randrange(5, 600))
            signature_id = bulk.new_id(ReviewSignature)
            signature = {
                "id": signature_id,
                "review_id": review_id,
                "member_id": membership_id,
                "outcome": outcome,
                "signed_at": signed_at,
                "content_hash": hashlib.sha256(f"{review_id}:{t.isoformat()}".encode()).hexdigest(),
            }
            label = self.labels[outcome]
            self.write(
                ReviewSignature,
                [(signature, signed_at, user_id, reasons["signed"][outcome])],
                village_id=village.pk,
                text=f"{person}: {label}",
            )
        values.update(outcome=outcome, decided_at=signed_at)
        last_signer = signers[-1][1]
        if inquiry:
            due = day + datetime.timedelta(days=village.township.inquiry_reply_days + 30)
            values.update(status="awaiting_response", response_due=due)
            versions.append((dict(values), signed_at, last_signer, reasons["decided"][outcome]))
            answered = signed_at + datetime.timedelta(days=rng.randrange(2, 10))
            officer = self.users.get(f"village.{village.code}.officer", recorder)
            values.update(
                status="responded",
                response="已补齐票据并说明情况。",
                responded_at=answered,
                responded_by_id=officer,
            )
            versions.append((dict(values), answered, officer, reasons["responded"]))
            accepted = answered + datetime.timedelta(days=1)
            values.update(status="closed")
            versions.append((dict(values), accepted, recorder, reasons["accepted"]))
        else:
            values.update(status="closed")
            versions.append((dict(values), signed_at, last_signer, reasons["decided"][outcome]))
        self.write(Review, versions, village_id=village.pk, text=values["title"])
        if values.get("invoice_type") == "iou":
            flag_at = versions[0][1]
            flag = {
                "id": bulk.new_id(RiskFlag),
                "review_id": review_id,
                "village_id": village.pk,
                "code": "iou_note",
                "severity": "medium",
                "message": reasons["iou"],
                "is_open": True,
            }
            flag_versions = [(dict(flag), flag_at, recorder, reasons["recorded"])]
            if year < self.years[-1] or rng.random() < 0.5:
                resolved = versions[-1][1] + datetime.timedelta(days=rng.randrange(1, 30))
                flag.update(is_open=False, resolved_at=resolved)
                flag_versions.append((dict(flag), resolved, recorder, reasons["flag_resolved"]))
            self.write(RiskFlag, flag_versions, village_id=village.pk, text=flag["message"])

    def edited_draft(self, village: Any, year: int, chair: tuple[int, int | None, str]) -> None:
        """A draft edited 49 times: the record the timeline benchmark opens."""
        from villages.models import Review

        rng, bulk = self.rng, self.bulk
        day = datetime.date(year, 12, 1)
        values: dict[str, Any] = {
            "id": bulk.new_id(Review),
            "village_id": village.pk,
            "kind": "meeting",
            "occurred_on": day,
            "created_by_id": chair[1],
            "status": "draft",
            "title": "村级工程项目监督工作专题会议",
            "description": "初稿。",
        }
        t = _moment(day, rng)
        versions = [(dict(values), t, chair[1], self.reasons["recorded"])]
        for edit in range(1, TIMELINE_VERSIONS):
            t += datetime.timedelta(minutes=rng.randrange(5, 120))
            values["description"] = f"第{edit}次修改：补充会议议题与参会人员。" * (1 + edit % 3)
            if edit % 7 == 0:
                values["title"] = f"村级工程项目监督工作专题会议（修订{edit // 7}）"
            versions.append((dict(values), t, chair[1], self.reasons["edited"]))
        self.write(Review, versions, village_id=village.pk, text=values["title"])


PURPOSES = [
    "村部办公用品采购",
    "道路养护材料",
    "河道保洁服务费",
    "路灯维修",
    "村部水电费",
    "农田水利小修",
    "环境整治劳务费",
    "防汛物资采购",
    "村民活动中心维修",
    "绿化苗木采购",
]
PAYEES = [
    "大丰区润德电脑经营部",
    "大丰区新丰建材商店",
    "盐城市恒通物资有限公司",
    "大丰区绿源苗木场",
    "大丰区顺达劳务服务部",
    "大丰区宏盛五金店",
    "大丰区明亮照明器材店",
    "大丰区清源保洁服务部",
]


def _reasons() -> dict[str, Any]:
    from django.utils.translation import gettext_lazy as _

    from oversight.services import recorded

    outcomes = {"approve": _("Approve"), "inquiry": _("Inquiry")}
    return {
        "recorded": recorded(_("Recorded")),
        "edited": recorded(_("Edited")),
        "submitted": recorded(_("Submitted")),
        "signed": {k: recorded(_("Signed: %(outcome)s"), outcome=v) for k, v in outcomes.items()},
        "decided": {
            k: recorded(_("Outcome decided: %(outcome)s"), outcome=v) for k, v in outcomes.items()
        },
        "responded": recorded(_("The village responded")),
        "accepted": recorded(_("Response accepted")),
        "iou": recorded(_("The payment is backed by an IOU note, not an invoice.")),
        "flag_resolved": "风险提示已核实处理",
        "complaint_received": "收到信访举报件",
        "complaint_registered": "信访举报件已受理登记",
        "complaint_case": "已转为问题线索立项处置",
        "complaint_concluded": "已办结",
        "complaint_closed": "已反馈并归档",
        "complaint_not_accepted": "不予受理",
        "complaint_transferred": "已转交有权机关",
        "case_opened": recorded(_("Case opened")),
        "subject": recorded(_("Subject named: %(cadre)s"), cadre="%(cadre)s"),
        "assigned": "指定承办人",
        "move": recorded(_("Case %(from)s → %(to)s"), **{"from": "%(from)s", "to": "%(to)s"}),
        "sanction": "作出处分决定",
    }


def _labels() -> dict[str, Any]:
    from django.conf import settings
    from django.utils import translation

    from cases import choices as case_choices
    from villages import choices as village_choices

    with translation.override(settings.LANGUAGE_CODE):
        return {
            "approve": str(village_choices.Outcome.APPROVE.label),
            "inquiry": str(village_choices.Outcome.INQUIRY.label),
            "category": {c.value: str(c.label) for c in case_choices.Category},
            "status": {c.value: str(c.label) for c in case_choices.CaseStatus},
            "sanction": {c.value: str(c.label) for c in case_choices.SanctionType},
            "event": {c.value: str(c.label) for c in case_choices.EventKind},
            "handler_text": "%(user)s (" + str(case_choices.AssignmentRole.HANDLER.label) + ")",
        }
