"""Complaints and cases of the generated district (bench/generate.py): intake, then two in three
complaints become a case that goes through the stages of DOMAIN.md §5."""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

COMPLAINTS_PER_VILLAGE_YEAR = 5.8
CASE_SHARE = 0.67


def _moment(day: datetime.date, rng: random.Random, hour: int = 9) -> datetime.datetime:
    """A time on `day` in working hours, in UTC (Beijing is UTC+8)."""
    local = datetime.datetime.combine(day, datetime.time(hour, 0)) + datetime.timedelta(
        minutes=rng.randrange(0, 8 * 60),
        seconds=rng.randrange(60),
        microseconds=rng.randrange(10**6),
    )
    return (local - datetime.timedelta(hours=8)).replace(tzinfo=datetime.UTC)


class PlanBase:
    """What every part of the plan writes with: the case and complaint numbers, and a record's
    versions as history, ledger and row."""

    bulk: Any
    numbers: dict[tuple[str, int], int]

    def number(self, prefix: str, year: int) -> str:
        from cases.services.numbers import FORMATS

        last = self.numbers.get((prefix, year), 0) + 1
        self.numbers[(prefix, year)] = last
        return FORMATS[prefix].format(prefix=prefix, year=year, n=last)

    def start_numbers(self) -> None:
        from cases.models import NumberSequence

        for row in NumberSequence.objects.all():
            self.numbers[(row.prefix, row.year)] = row.last

    def save_numbers(self) -> None:
        from cases.models import NumberSequence

        for (prefix, year), last in self.numbers.items():
            NumberSequence.objects.update_or_create(
                prefix=prefix, year=year, defaults={"last": last}
            )

    def write(
        self,
        model: Any,
        versions: Sequence[tuple[dict[str, Any], datetime.datetime, int | None, str]],
        *,
        village_id: int | None,
        text: Any,
        case_ref: Any = None,
        complaint_ref: Any = None,
    ) -> None:
        """A record's versions (values, when, who, why) as history and ledger, then its row."""
        bulk = self.bulk
        first = versions[0][1]
        before: dict[str, Any] | None = None
        for values, at, user_id, reason in versions:
            values["created_at"] = first
            bulk.version(
                model,
                values,
                at=at,
                user_id=user_id,
                reason=reason,
                action="+" if before is None else "~",
                changed=bulk.changed(model, before, values),
                village_id=village_id,
                text=text(values) if callable(text) else text,
                case_ref=case_ref(values) if callable(case_ref) else case_ref,
                complaint_ref=complaint_ref(values) if callable(complaint_ref) else complaint_ref,
            )
            before = values
        assert before is not None
        bulk.record(model, {**before, "updated_at": versions[-1][1]})


class CasesMixin(PlanBase):
    """Plan's complaints and cases (Plan provides rng, reasons, labels, users, cadres,
    usernames, end and scale)."""

    rng: Any
    bulk: Any
    reasons: dict[str, Any]
    labels: dict[str, Any]
    users: dict[str, int]
    usernames: dict[int, str]
    cadres: dict[int, list[tuple[int, str, str, bool]]]
    end: datetime.date
    scale: float

    def complaints(self, village: Any, year: int) -> tuple[int, int]:
        rng = self.rng
        expected = COMPLAINTS_PER_VILLAGE_YEAR * self.scale
        count = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
        cases = 0
        for _ in range(count):
            day = datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randrange(365))
            cases += self.complaint(village, year, day)
        return count, cases

    def complaint(self, village: Any, year: int, day: datetime.date) -> int:
        from cases.models import Complaint, ComplaintCategory

        rng, bulk, reasons = self.rng, self.bulk, self.reasons
        code = village.township.code
        staff = self.users[f"township.{code}.staff"]
        complaint_id = bulk.new_id(Complaint)
        number = self.number("XF", year)
        category = rng.choice(CATEGORIES)
        received = _moment(day, rng)
        values: dict[str, Any] = {
            "id": complaint_id,
            "number": number,
            "village_id": village.pk,
            "channel": rng.choice(["letter", "visit", "phone", "online", "inspection"]),
            "received_at": received,
            "summary": f"反映{village.name}{self.labels['category'][category]}问题",
            "content": "来信反映村干部在村级事务中存在违规问题，请求调查处理。",
            "is_anonymous": True,
            "status": "received",
            "created_by_id": staff,
        }
        versions = [(dict(values), received, staff, reasons["complaint_received"])]
        self.write(
            ComplaintCategory,
            [
                (
                    {
                        "id": bulk.new_id(ComplaintCategory),
                        "complaint_id": complaint_id,
                        "category": category,
                    },
                    received,
                    staff,
                    reasons["complaint_received"],
                )
            ],
            village_id=village.pk,
            text=self.labels["category"][category],
            complaint_ref=complaint_id,
        )
        t = received + datetime.timedelta(days=rng.randrange(1, 7))
        values.update(status="registered", registered_by_id=staff, registered_at=t)
        versions.append((dict(values), t, staff, reasons["complaint_registered"]))
        opened = 0
        if rng.random() < CASE_SHARE and self.cadres.get(village.pk):
            t += datetime.timedelta(days=rng.randrange(1, 5))
            case_id, ended = self.case(village, year, t, category)
            values.update(status="in_process", case_id=case_id)
            versions.append((dict(values), t, staff, reasons["complaint_case"]))
            opened = 1
            if ended is not None:
                values.update(
                    status="concluded", concluded_at=ended, result_summary="已依规依纪作出处理。"
                )
                versions.append((dict(values), ended, staff, reasons["complaint_concluded"]))
                closed = ended + datetime.timedelta(days=rng.randrange(1, 15))
                values.update(
                    status="closed", closed_at=closed, closing_summary="已向反映人反馈处理结果。"
                )
                versions.append((dict(values), closed, staff, reasons["complaint_closed"]))
        else:
            t += datetime.timedelta(days=rng.randrange(1, 10))
            status = rng.choice(["not_accepted", "transferred"])
            values.update(status=status, decision_note="不属于本机关受理范围，已告知反映人。")
            versions.append((dict(values), t, staff, reasons["complaint_" + status]))
        self.write(
            Complaint,
            versions,
            village_id=village.pk,
            text=number,
            case_ref=lambda v: v.get("case_id"),
            complaint_ref=complaint_id,
        )
        return opened

    def case(
        self, village: Any, year: int, at: datetime.datetime, category: str
    ) -> tuple[int, datetime.datetime | None]:
        """A case from a complaint through its stages; returns its id and when it ended."""
        from cases.models import Case, CaseAssignment, CaseEvent, CaseSubject, Sanction
        from cases.services.sanctions import sanction_ends_on

        rng, bulk, reasons = self.rng, self.bulk, self.reasons
        code = village.township.code
        staff = self.users[f"township.{code}.staff"]
        leader = self.users[f"township.{code}.leader"]
        cadre_id, cadre_name, cadre_text, _party = rng.choice(self.cadres[village.pk])
        case_id = bulk.new_id(Case)
        number = self.number("DF", year)
        values: dict[str, Any] = {
            "id": case_id,
            "number": number,
            "village_id": village.pk,
            "kind": "violation",
            "status": "registered",
            "summary": f"{cadre_name}涉嫌{self.labels['category'][category]}",
            "opened_at": at,
            "opened_by_id": staff,
            "amount_involved": Decimal(rng.randrange(0, 5_000_000)) / 100,
            "amount_recovered": Decimal("0.00"),
        }
        versions = [(dict(values), at, staff, reasons["case_opened"])]
        ref = {"village_id": village.pk, "case_ref": case_id}
        event_rows: list[tuple[dict[str, Any], datetime.datetime, int, str]] = []

        def event(
            kind: str,
            when: datetime.datetime,
            actor: int,
            note: str,
            reason: str,
            source: str = "",
            to: str = "",
        ) -> None:
            event_rows.append(
                (
                    {
                        "id": bulk.new_id(CaseEvent),
                        "case_id": case_id,
                        "kind": kind,
                        "actor_id": actor,
                        "from_status": source,
                        "to_status": to,
                        "note": note,
                        "at": when,
                    },
                    when,
                    actor,
                    reason,
                )
            )

        event("created", at, staff, reasons["case_opened"], reasons["case_opened"])
        self.write(
            CaseSubject,
            [
                (
                    {
                        "id": bulk.new_id(CaseSubject),
                        "case_id": case_id,
                        "cadre_id": cadre_id,
                        "categories": [category],
                    },
                    at,
                    staff,
                    self.reasons["subject"] % {"cadre": cadre_name},
                )
            ],
            text=cadre_text,
            **ref,
        )
        self.write(
            CaseAssignment,
            [
                (
                    {
                        "id": bulk.new_id(CaseAssignment),
                        "case_id": case_id,
                        "user_id": staff,
                        "role": "handler",
                    },
                    at,
                    staff,
                    reasons["assigned"],
                )
            ],
            text=self.labels["handler_text"] % {"user": self.usernames[staff]},
            **ref,
        )
        path = rng.choices(PATHS, [40, 25, 15, 10, 10])[0]
        if (self.end - at.date()).days < 150:
            path = path[: rng.randrange(1, len(path))]  # still under way
        t = at
        ended: datetime.datetime | None = None
        sanction_type: str | None = None
        for to in path:
            t += datetime.timedelta(days=rng.randrange(3, 25))
            source = values["status"]
            actor = leader if to in LEADER_MOVES else staff
            if to == "disposition_proposed":
                values.update(
                    proposed_disposition=path[path.index(to) + 1]
                    if path.index(to) + 1 < len(path)
                    else "talk_inquiry",
                    proposed_by_id=staff,
                )
            values["status"] = to
            if to == "decided":
                values["decided_on"] = t.date()
                sanction_type = rng.choice(FORM_ONE if "filed" not in path else LATER_FORMS)
            if to in ("closed", "closed_no_action", "decided", "withdrawn", "transferred"):
                ended = ended or t
                values["ended_at"] = values.get("ended_at") or t
            reason = reasons["move"] % {
                "from": self.labels["status"][source],
                "to": self.labels["status"][to],
            }
            versions.append((dict(values), t, actor, reason))
            event("transition", t, actor, reason, reason, source, to)
            if to == "decided" and sanction_type:
                rule_ends = sanction_ends_on(sanction_type, t.date(), None)
                from cases.choices import SANCTION_RULES

                rule = SANCTION_RULES[sanction_type]
                sanction = {
                    "id": bulk.new_id(Sanction),
                    "case_id": case_id,
                    "cadre_id": cadre_id,
                    "type": sanction_type,
                    "family": rule.family,
                    "form": rule.form,
                    "decided_on": t.date(),
                    "decision_no": f"{number}-1",
                    "ends_on": rule_ends,
                    "status": "in_force",
                }
                text = f"{cadre_text} · {self.labels['sanction'][sanction_type]}"
                self.write(Sanction, [(sanction, t, leader, reasons["sanction"])], text=text, **ref)
                event("sanction", t, leader, text, reasons["sanction"])
        self.write(Case, versions, text=number, **ref)
        for row in event_rows:
            self.write(
                CaseEvent,
                [row],
                text=f"{case_id} · {self.labels['event'][row[0]['kind']]}",
                **ref,
            )
        return case_id, ended


# Case paths (from "registered"), in DOMAIN.md §5's stages.

PATHS = [
    ["disposition_proposed", "talk_inquiry", "decided", "closed"],
    [
        "disposition_proposed",
        "preliminary_verification",
        "filed",
        "investigating",
        "heard",
        "trial_review",
        "awaiting_decision",
        "decided",
        "executing",
        "closed",
    ],
    ["disposition_proposed", "closed_no_action"],
    ["disposition_proposed", "shelved"],
    ["disposition_proposed", "preliminary_verification", "decided", "closed"],
]
LEADER_MOVES = {
    "talk_inquiry",
    "preliminary_verification",
    "shelved",
    "closed_no_action",
    "filed",
    "decided",
    "withdrawn",
    "transferred",
}
FORM_ONE = ["reminder_talk", "criticism_education", "admonishment", "warning_talk"]
LATER_FORMS = ["gov_warning", "gov_demerit", "reminder_talk", "criticism_education"]
CATEGORIES = [
    "embezzlement",
    "misappropriation",
    "benefit_skimming",
    "false_claims",
    "favouritism",
    "project_violation",
    "financial_violation",
    "non_disclosure",
    "decision_procedure",
]
