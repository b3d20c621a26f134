"""What the home page shows each user: what needs them today, by what they may do (issue #7 §1).

Each section is chosen by a permission, never by a role name, and reads from `restrict()`.
Every section runs a fixed number of queries whatever the size of the data: lists are cut in
SQL and carry their full length as a window count, figures are conditional aggregates.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Window
from django.utils import timezone

from audit.models import Verification
from cases.choices import DUE_SOON_DAYS, CaseStatus, Channel, ComplaintStatus
from cases.models import Case, Complaint, Deadline
from oversight.roles import DISTRICT_WIDE
from villages.choices import ReviewStatus
from villages.models import (
    CommitteeMembership,
    Review,
    ReviewRecusal,
    ReviewSignature,
    RiskFlag,
    SupervisionCommittee,
    Village,
)

# How many rows a list on the home page shows; its heading gives the full number.
LIST_LIMIT = 10
# "My village's last 30 days".
RECENT_DAYS = 30
# A user with at most this many villages sees each of them on the home page as a card.
CARD_LIMIT = 4
# Statuses of a case that wait for a leader: a proposed disposition, a decision.
AWAITING_LEADER = (CaseStatus.DISPOSITION_PROPOSED, CaseStatus.AWAITING_DECISION)
# Statuses in which a case is over (Case.is_open says the same of one row).
CASE_OVER = (
    CaseStatus.CLOSED,
    CaseStatus.CLOSED_NO_ACTION,
    CaseStatus.WITHDRAWN,
    CaseStatus.TRANSFERRED,
)


def _top(rows: QuerySet[Any], limit: int = LIST_LIMIT) -> dict[str, Any]:
    """The first `limit` rows and how many there are in all, in one query (a window count)."""
    found = list(rows.annotate(total_rows=Window(expression=Count("pk")))[:limit])
    return {"rows": found, "total": found[0].total_rows if found else 0}


def village_cards(user: Any, villages: QuerySet[Village]) -> list[dict[str, Any]]:
    """Each village as a card with its committee in office and its seated members (three
    queries, however many villages)."""
    today = timezone.localdate()
    committees = (
        SupervisionCommittee.objects.restrict(user, "view")
        .in_office(today)
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=CommitteeMembership.objects.filter(end__isnull=True),
                to_attr="active_memberships",
            )
        )
    )
    cards = []
    for village in villages.prefetch_related(
        Prefetch("committees", queryset=committees, to_attr="committees_in_office")
    ):
        in_office: list[SupervisionCommittee] = getattr(village, "committees_in_office", [])
        committee = in_office[0] if in_office else None
        seated: list[CommitteeMembership] = getattr(committee, "active_memberships", [])
        members = sorted(seated, key=lambda m: (m.role != "chair", m.start, m.person_name))
        cards.append({"village": village, "committee": committee, "members": members})
    return cards


# --- Committee members ---------------------------------------------------------------------------


def _my_seats(user: Any, today: datetime.date) -> QuerySet[CommitteeMembership]:
    """The user's seats on committees in office today (a lazy subquery)."""
    return CommitteeMembership.objects.filter(
        Q(user_id=user.pk, end__isnull=True, committee__term_start__lte=today),
        Q(committee__term_end__isnull=True) | Q(committee__term_end__gte=today),
    )


def member_section(user: Any, today: datetime.date) -> dict[str, Any] | None:
    """For those who sign reviews: what awaits my signature, my village's open inquiries and
    flags, and its last 30 days (four queries, three without the flags permission)."""
    if not user.has_perm("villages.sign_review"):
        return None
    seats = _my_seats(user, today)
    mine = seats.values("committee__village_id")
    reviews = Review.objects.restrict(user, "view").filter(village_id__in=mine)
    awaiting = (
        reviews.filter(status=ReviewStatus.SUBMITTED)
        .exclude(
            pk__in=ReviewSignature.objects.filter(member__in=seats, voided_at__isnull=True).values(
                "review_id"
            )
        )
        .exclude(pk__in=ReviewRecusal.objects.filter(member__in=seats).values("review_id"))
        .select_related("village")
        .order_by("submitted_at", "pk")
    )
    inquiries = (
        reviews.filter(status=ReviewStatus.AWAITING_RESPONSE)
        .select_related("village")
        .order_by("response_due", "pk")
    )
    since = today - datetime.timedelta(days=RECENT_DAYS)
    recent = list(
        Village.objects.restrict(user, "view")
        .filter(pk__in=mine)
        .annotate(
            reviews_recent=Count(
                "reviews",
                filter=Q(reviews__occurred_on__gt=since, reviews__occurred_on__lte=today),
            )
        )
        .order_by("code")
    )
    flags = None
    if user.has_perm("villages.view_riskflag"):
        flags = _top(
            RiskFlag.objects.restrict(user, "view")
            .filter(is_open=True, village_id__in=mine)
            .select_related("village", "review")
            .order_by("-created_at", "-pk")
        )
    return {
        "awaiting": _top(awaiting),
        "inquiries": _top(inquiries),
        "flags": flags,
        "recent": recent,
        "recent_days": RECENT_DAYS,
        "today": today,
    }


# --- Township staff ------------------------------------------------------------------------------


def _visible_deadlines(user: Any) -> QuerySet[Deadline]:
    """Running deadlines (not met, not paused) of complaints and cases `user` may see: the
    deadline's village is not enough, the accused must not learn of a case through its clock."""
    cases = Case.objects.restrict(user, "view").values("pk")
    complaints = Complaint.objects.restrict(user, "view").values("pk")
    return (
        Deadline.objects.restrict(user, "view")
        .exclude(state="met")
        .filter(paused_since__isnull=True)
        .filter(Q(case__isnull=True) | Q(case__in=cases))
        .filter(Q(complaint__isnull=True) | Q(complaint__in=complaints))
    )


def staff_section(user: Any, today: datetime.date) -> dict[str, Any] | None:
    """For those who handle cases: the deadlines by state, the overdue and due-soon ones,
    complaints awaiting registration and overdue village inquiries (four queries)."""
    if not user.has_perm("cases.handle_case"):
        return None
    soon = today + datetime.timedelta(days=DUE_SOON_DAYS)
    deadlines = _visible_deadlines(user)
    by_state = deadlines.aggregate(
        ok=Count("pk", filter=Q(due_on__gt=soon)),
        due_soon=Count("pk", filter=Q(due_on__gte=today, due_on__lte=soon)),
        overdue=Count("pk", filter=Q(due_on__lt=today)),
    )
    urgent = (
        deadlines.filter(due_on__lte=soon)
        .select_related("case", "complaint", "village")
        .order_by("due_on", "pk")
    )
    new_complaints = (
        Complaint.objects.restrict(user, "view")
        .filter(status=ComplaintStatus.RECEIVED)
        .select_related("village")
        .order_by("received_at", "pk")
    )
    late_inquiries = (
        Review.objects.restrict(user, "view")
        .filter(status=ReviewStatus.AWAITING_RESPONSE, response_due__lt=today)
        .count()
    )
    return {
        "by_state": by_state,
        "urgent": _top(urgent),
        "new_complaints": _top(new_complaints),
        "late_inquiries": late_inquiries,
        "today": today,
    }


# --- Leaders -------------------------------------------------------------------------------------


def leader_section(user: Any) -> dict[str, Any] | None:
    """For those who approve: cases waiting for a leader, and committees' escalations not yet
    registered (two queries)."""
    if not user.has_perm("cases.approve_case"):
        return None
    approvals = (
        Case.objects.restrict(user, "view")
        .filter(status__in=AWAITING_LEADER)
        .select_related("village")
        .order_by("opened_at", "pk")
    )
    escalations = (
        Complaint.objects.restrict(user, "view")
        .filter(channel=Channel.COMMITTEE, status=ComplaintStatus.RECEIVED)
        .select_related("village")
        .order_by("received_at", "pk")
    )
    return {"approvals": _top(approvals), "escalations": _top(escalations)}


# --- District officials --------------------------------------------------------------------------


def district_figures(user: Any) -> dict[str, Any] | None:
    """For district-wide users: villages, committees in office, open flags, open cases, and the
    last integrity verification (five queries)."""
    if not user.has_perm(DISTRICT_WIDE):
        return None
    today = timezone.localdate()
    return {
        "villages": Village.objects.restrict(user, "view")
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .count(),
        "committees": SupervisionCommittee.objects.restrict(user, "view").in_office(today).count(),
        "flags_open": RiskFlag.objects.restrict(user, "view").filter(is_open=True).count(),
        "cases_open": Case.objects.restrict(user, "view").exclude(status__in=CASE_OVER).count(),
        # The integrity proof covers the whole ledger; only district-wide users see it.
        "verification": Verification.objects.filter(finished_at__isnull=False)
        .order_by("-finished_at", "-pk")
        .first(),
    }


def dashboard(user: Any, today: datetime.date | None = None) -> dict[str, Any]:
    """Every section of the home page that `user` may see (None for the others)."""
    today = today or timezone.localdate()
    return {
        "member": member_section(user, today),
        "staff": staff_section(user, today),
        "leader": leader_section(user),
        "figures": district_figures(user),
    }
