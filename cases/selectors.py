"""Reads of the staff pages of complaints and cases; each starts from restrict()."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db.models import F, Min, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from cases import choices
from cases.choices import ComplaintAction, DeadlineState
from cases.models import (
    Appeal,
    Case,
    CaseAssignment,
    CaseEvent,
    CaseSubject,
    Complaint,
    ComplaintCadre,
    Deadline,
    ReporterIdentity,
    Sanction,
)
from cases.services import allowed_moves
from cases.services.reporter import reporter_can_reveal
from oversight.roles import DISTRICT_WIDE
from villages.jurisdiction import OVERSEE_TOWNSHIP, OVERSEE_VILLAGE
from villages.models import Cadre, TownshipUserPermission, Village, VillageUserPermission

# The moves of a complaint the detail page offers, each the action of the transition table.
COMPLAINT_MOVES = {
    "register": ComplaintAction.REGISTER,
    "not_accept": ComplaintAction.NOT_ACCEPT,
    "transfer": ComplaintAction.TRANSFER,
    "mark_duplicate": ComplaintAction.MARK_DUPLICATE,
    "open_case": ComplaintAction.OPEN_CASE,
    "close": ComplaintAction.CLOSE,
}


# --- Complaints ----------------------------------------------------------------------------------


def complaint_list(
    user: Any, *, status: str = "", village: Village | None = None, channel: str = ""
) -> QuerySet[Complaint]:
    """The complaints `user` may see, newest first, with what the intake list shows."""
    rows = Complaint.objects.restrict(user, "view").select_related("village__township", "case")
    if status:
        rows = rows.filter(status=status)
    if village is not None:
        rows = rows.filter(village=village)
    if channel:
        rows = rows.filter(channel=channel)
    return rows.order_by("-received_at", "-pk")


def complaint_for_page(user: Any, pk: int) -> Complaint:
    """A complaint `user` may see (else Http404), with everything its page shows."""
    from oversight.shortcuts import get_restricted_or_404

    queryset = Complaint.objects.select_related(
        "village__township", "case", "duplicate_of", "registered_by", "source_review"
    ).prefetch_related(
        "category_links",
        Prefetch("accused_links", queryset=ComplaintCadre.objects.select_related("cadre")),
        "attachments",
    )
    return get_restricted_or_404(queryset, user, "view", pk=pk)


def complaint_messages(complaint: Complaint) -> list[Any]:
    """What passed between the commission and the reporter, oldest first."""
    return list(complaint.messages.select_related("author").order_by("created_at", "pk"))


def complaint_duplicates(user: Any, complaint: Complaint) -> list[Complaint]:
    """The complaints `user` may see that were linked to this one as repeats."""
    return list(
        Complaint.objects.restrict(user, "view").filter(duplicate_of=complaint).order_by("pk")
    )


def complaint_redacted(user: Any, complaint: Complaint) -> bool:
    """Whether the content is withheld from `user`: a read-only reader (the district auditor,
    who holds no change permission) sees what was reported only once the matter is over —
    neither while the complaint is still being dealt with nor while its case is open."""
    if user.has_perm("cases.change_complaint"):
        return False
    if complaint.status in choices.COMPLAINT_OPEN:
        return True
    return complaint.case is not None and complaint.case.is_open


def has_reporter(complaint: Complaint) -> bool:
    """Whether a named reporter's identity is in the vault for this complaint."""
    return (
        not complaint.is_anonymous
        and ReporterIdentity._base_manager.filter(complaint=complaint).exists()
    )


def may_reveal(user: Any, complaint: Complaint) -> bool:
    """Whether the page offers "reveal the reporter": only when the vault holds one and the
    reporter service says `user` is entitled (intake officer, handler or approving leader)."""
    if not user.has_perm("cases.reveal_reporter") or not has_reporter(complaint):
        return False
    return reporter_can_reveal(user, complaint)


def complaint_actions(user: Any, complaint: Complaint) -> set[str]:
    """What `user` may do to `complaint` now, so the page offers only that (the services
    check everything again): the moves of the table, "message" and "reveal"."""
    actions: set[str] = set()
    for name, action in COMPLAINT_MOVES.items():
        if (complaint.status, action) not in choices.COMPLAINT_TRANSITIONS:
            continue
        if user.has_perm(choices.COMPLAINT_ACTION_PERMISSIONS[action]) and user.has_perm(
            "cases.change_complaint"
        ):
            actions.add(name)
    if user.has_perm("cases.change_complaint"):
        actions.add("message")
    if may_reveal(user, complaint):
        actions.add("reveal")
    return actions


def village_cadres(village: Village) -> QuerySet[Cadre]:
    """The cadres in office in a village, for the accused and subject choices."""
    return Cadre.objects.filter(village=village, term_end__isnull=True).order_by("post", "name")


def jurisdiction_cadres(user: Any) -> QuerySet[Cadre]:
    """The cadres in office in the villages `user` may see, labelled with their village."""
    return (
        Cadre.objects.restrict(user, "view")
        .filter(term_end__isnull=True)
        .select_related("village")
        .order_by("village__code", "post", "name")
    )


# --- Cases ---------------------------------------------------------------------------------------

# Deadlines that still run: not met, and not paused (a paused clock stands still, so it sets
# no due date until it resumes).
RUNNING = ~Q(deadlines__state=DeadlineState.MET) & Q(deadlines__paused_since__isnull=True)


def next_due() -> Subquery:
    """A case's earliest running deadline, as a correlated subquery: computed per case by the
    deadline's case index, where an aggregate over a join made the queue and its paginator's
    COUNT group every case of the township (bench/README.md)."""
    running = Deadline.objects.filter(case=OuterRef("pk"), paused_since__isnull=True).exclude(
        state=DeadlineState.MET
    )
    return Subquery(
        running.order_by().values("case").annotate(first=Min("due_on")).values("first")[:1]
    )


def state_of(due_on: datetime.date | None, today: datetime.date) -> str:
    """Where a due date stands today: ok, due soon or overdue ("" when nothing is due)."""
    if due_on is None:
        return ""
    if due_on < today:
        return DeadlineState.OVERDUE
    if (due_on - today).days <= choices.DUE_SOON_DAYS:
        return DeadlineState.DUE_SOON
    return DeadlineState.OK


def case_queue(
    user: Any,
    *,
    status: str = "",
    deadline_state: str = "",
    village: Village | None = None,
    handler: str = "",
    category: str = "",
    today: datetime.date | None = None,
) -> QuerySet[Case]:
    """The cases `user` may see, the one due soonest first (by its earliest running deadline;
    cases with nothing due come last), with what the queue shows."""
    today = today or timezone.localdate()
    soon = today + datetime.timedelta(days=choices.DUE_SOON_DAYS)
    rows = (
        Case.objects.restrict(user, "view")
        .select_related("village__township")
        .annotate(next_due=next_due())
        .prefetch_related(
            Prefetch("subjects", queryset=CaseSubject.objects.select_related("cadre")),
            Prefetch(
                "assignments",
                queryset=CaseAssignment.objects.filter(ended_at__isnull=True)
                .select_related("user")
                .order_by("role", "pk"),
                to_attr="active_assignments",
            ),
        )
    )
    if status:
        rows = rows.filter(status=status)
    if village is not None:
        rows = rows.filter(village=village)
    if handler == "me":
        mine = CaseAssignment.objects.filter(user_id=user.pk, ended_at__isnull=True)
        rows = rows.filter(pk__in=mine.values("case_id"))
    if category:
        # The subjects' categories are a JSON list of codes: match the quoted code.
        about = CaseSubject.objects.filter(categories__icontains=f'"{category}"')
        rows = rows.filter(pk__in=about.values("case_id"))
    if deadline_state == DeadlineState.OVERDUE:
        rows = rows.filter(next_due__lt=today)
    elif deadline_state == DeadlineState.DUE_SOON:
        rows = rows.filter(next_due__gte=today, next_due__lte=soon)
    elif deadline_state == DeadlineState.OK:
        rows = rows.filter(next_due__gt=soon)
    return rows.order_by(F("next_due").asc(nulls_last=True), "-opened_at", "-pk")


def case_for_page(user: Any, number: str) -> Case:
    """A case `user` may see (else Http404): never to its subjects or their relatives."""
    from oversight.shortcuts import get_restricted_or_404

    queryset = Case.objects.select_related("village__township", "opened_by", "proposed_by")
    return get_restricted_or_404(queryset, user, "view", number=number)


def case_redacted(user: Any, case: Case) -> bool:
    """Whether the notes of an open case are withheld from `user` (a read-only reader)."""
    return case.is_open and not user.has_perm("cases.change_case")


def case_page(user: Any, case: Case, today: datetime.date | None = None) -> dict[str, Any]:
    """Everything a case's page lists, each a fixed number of queries."""
    today = today or timezone.localdate()
    subjects = list(case.subjects.select_related("cadre").order_by("pk"))
    for subject in subjects:
        subject.category_labels = [  # type: ignore[attr-defined]
            choices.Category(code).label
            for code in subject.categories
            if code in choices.Category.values
        ]
    deadlines = list(
        Deadline.objects.filter(case=case)
        .select_related("appeal")
        .prefetch_related("extension_rows__approved_by")
        .order_by("due_on", "pk")
    )
    for deadline in deadlines:
        deadline.live_state = (
            deadline.state
            if not deadline.is_open or deadline.paused_since
            else state_of(deadline.due_on, today)
        )
    sanctions = list(
        Sanction.objects.filter(case=case)
        .select_related("cadre")
        .prefetch_related(
            Prefetch(
                "appeals",
                queryset=Appeal.objects.prefetch_related("reviewers__user").order_by(
                    "filed_on", "pk"
                ),
            )
        )
        .order_by("decided_on", "pk")
    )
    return {
        "subjects": subjects,
        "complaints": list(
            Complaint.objects.restrict(user, "view").filter(case=case).order_by("received_at")
        ),
        "assignments": list(
            CaseAssignment.objects.filter(case=case)
            .select_related("user")
            .order_by("ended_at", "role", "pk")
        ),
        "events": list(
            CaseEvent.objects.filter(case=case).select_related("actor").order_by("at", "pk")
        ),
        "deadlines": deadlines,
        "sanctions": sanctions,
        "appeals": [appeal for sanction in sanctions for appeal in sanction.appeals.all()],
    }


def extendable(user: Any, deadline: Deadline) -> bool:
    """Whether a leader may still extend this deadline: it runs and its rule allows one more."""
    rule = choices.DEADLINE_RULES.get(deadline.stage)
    return (
        user.has_perm("cases.add_deadlineextension")
        and deadline.is_open
        and rule is not None
        and rule.extension > 0
        and deadline.extensions < rule.max_extensions
    )


def case_actions(user: Any, case: Case, page: dict[str, Any]) -> dict[str, Any]:
    """What `user` may do on the case's page now (the services check everything again)."""
    moves = allowed_moves(user, case) if user.has_perm("cases.change_case") else []
    sanctions = page["sanctions"]
    appeals = page["appeals"]
    in_force = [s for s in sanctions if s.status == choices.SanctionStatus.IN_FORCE]
    return {
        "moves": moves,
        "assign": user.has_perm("cases.approve_case") and case.is_open,
        "add_subject": user.has_perm("cases.handle_case") and case.is_open,
        "sanction": user.has_perm("cases.add_sanction")
        and case.status in choices.SANCTION_STATUSES,
        "file_appeal": user.has_perm("cases.add_appeal") and bool(in_force),
        # A leader accepts an appeal and names its reviewers; one of them decides it.
        "accept_appeal": user.has_perm("cases.approve_case")
        and any(a.status == choices.AppealStatus.FILED for a in appeals),
        "decide_appeal": user.has_perm("cases.change_appeal")
        and any(
            a.status == choices.AppealStatus.ACCEPTED
            and any(r.user_id == user.pk for r in a.reviewers.all())
            for a in appeals
        ),
        "extend": [d for d in page["deadlines"] if extendable(user, d)],
    }


def case_workers(case: Case) -> QuerySet[User]:
    """The people who could work on the case: discipline staff with jurisdiction over its
    village (district-wide or by grant), not its subjects nor their declared relatives."""
    handlers = Q(
        groups__permissions__content_type__app_label="cases",
        groups__permissions__codename__in=["handle_case", "trial_review_case"],
    )
    by_village = VillageUserPermission.objects.filter(
        content_object_id=case.village_id, permission__codename=OVERSEE_VILLAGE
    ).values("user_id")
    by_township = TownshipUserPermission.objects.filter(
        content_object_id=case.village.township_id, permission__codename=OVERSEE_TOWNSHIP
    ).values("user_id")
    app_label, codename = DISTRICT_WIDE.split(".")
    wide = User.objects.filter(
        groups__permissions__content_type__app_label=app_label,
        groups__permissions__codename=codename,
    ).values("pk")
    subjects = Cadre.objects.filter(case_subjects__case=case)
    excluded = Q(pk__in=subjects.exclude(user__isnull=True).values("user_id")) | Q(
        pk__in=subjects.filter(relatives__user__isnull=False).values("relatives__user_id")
    )
    return (
        User.objects.filter(handlers, is_active=True)
        .filter(Q(pk__in=by_village) | Q(pk__in=by_township) | Q(pk__in=wide))
        .exclude(excluded)
        .distinct()
        .order_by("username")
    )
