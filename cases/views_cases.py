"""Staff pages of cases: the queue, a case's page, and its actions — moves of the pipeline,
assignments, subjects, sanctions, appeals and deadline extensions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from cases import selectors, services
from cases.forms import (
    AppealAcceptForm,
    AppealDecideForm,
    AppealFileForm,
    AssignForm,
    CaseFilterForm,
    ExtendForm,
    SanctionForm,
    SubjectForm,
    TransitionForm,
    UnassignForm,
)
from cases.models import Case
from cases.views import CHECK_INPUT, attempt, filters, paginate, require

# The forms of a case's page: context name → its class (each takes the case).
CASE_FORMS: dict[str, type[forms.Form]] = {
    "assign_form": AssignForm,
    "unassign_form": UnassignForm,
    "subject_form": SubjectForm,
    "sanction_form": SanctionForm,
    "appeal_file_form": AppealFileForm,
    "appeal_accept_form": AppealAcceptForm,
    "appeal_decide_form": AppealDecideForm,
    "extend_form": ExtendForm,
}
# Which of the page's actions shows each form (so no query runs for a form not shown).
FORM_ACTION = {
    "assign_form": "assign",
    "unassign_form": "assign",
    "subject_form": "add_subject",
    "sanction_form": "sanction",
    "appeal_file_form": "file_appeal",
    "appeal_accept_form": "accept_appeal",
    "appeal_decide_form": "decide_appeal",
    "extend_form": "extend",
}


@login_required
@require_GET
@vary_on_headers("HX-Request")
def case_list(request: HttpRequest) -> HttpResponse:
    """The case queue, the one due soonest first, filtered by status, deadline, village,
    handler and allegation."""
    require(request.user, "cases.view_case")
    form = CaseFilterForm(request.GET or None, user=request.user)
    data = filters(form)
    rows = selectors.case_queue(
        request.user,
        status=data.get("status", ""),
        deadline_state=data.get("deadline_state", ""),
        village=data.get("village"),
        handler=data.get("handler", ""),
        category=data.get("category", ""),
    )
    page, query = paginate(request, rows)
    today = timezone.localdate()
    for row in page.object_list:
        row.deadline_state = selectors.state_of(row.next_due, today)
    context = {"form": form, "page": page, "query": query}
    partial = request.htmx  # type: ignore[attr-defined]
    template = "cases/partials/_case_table.html" if partial else "cases/case_list.html"
    return render(request, template, context)


def _render_case(
    request: HttpRequest,
    case: Case,
    *,
    status: int = 200,
    bound: dict[str, Any] | None = None,
    error: Any = None,
) -> HttpResponse:
    user = request.user
    page = selectors.case_page(user, case)
    actions = selectors.case_actions(user, case, page)
    bound = bound or {}
    context: dict[str, Any] = {
        "case": case,
        "village": case.village,
        **page,
        "actions": actions,
        "redacted": selectors.case_redacted(user, case),
        "action_error": error,
        "transition_form": bound.get("transition_form") or TransitionForm(moves=actions["moves"]),
    }
    for name, form_class in CASE_FORMS.items():
        if name in bound:
            context[name] = bound[name]
        elif actions[FORM_ACTION[name]]:
            extra: dict[str, Any] = {"user": user} if form_class is AppealDecideForm else {}
            context[name] = form_class(case=case, **extra)  # type: ignore[call-arg]
    return render(request, "cases/case_detail.html", context, status=status)


@login_required
@require_GET
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    """A case: subjects, complaints, people, timeline, deadlines, sanctions and appeals, and
    the forms of what the user may do now."""
    return _render_case(request, selectors.case_for_page(request.user, number))


def _act(
    request: HttpRequest,
    number: str,
    form_name: str,
    make_form: Callable[[Case], forms.Form],
    perform: Callable[[Any, Case, dict[str, Any]], Any],
    done: Any,
    *perms: str,
) -> HttpResponse:
    """Parse the action's form, call its one service and go back to the case; a refusal
    re-renders the case's page with the reason (409 for a move the pipeline refuses)."""
    case = selectors.case_for_page(request.user, number)
    require(request.user, *perms)
    form = make_form(case)
    if not form.is_valid():
        return _render_case(request, case, status=400, bound={form_name: form}, error=CHECK_INPUT)
    _result, status, message = attempt(form, lambda: perform(request.user, case, form.cleaned_data))
    if message is not None:
        case = selectors.case_for_page(request.user, number)
        return _render_case(request, case, status=status, bound={form_name: form}, error=message)
    messages.success(request, done)
    return redirect("cases:detail", number=number)


@login_required
@require_POST
def case_transition(request: HttpRequest, number: str) -> HttpResponse:
    """Move the case through the pipeline; a refused move answers 409 with its reason."""

    def make(case: Case) -> forms.Form:
        moves = services.allowed_moves(request.user, case)  # type: ignore[arg-type]
        return TransitionForm(request.POST, moves=moves)

    return _act(
        request,
        number,
        "transition_form",
        make,
        lambda user, case, data: services.case_transition(
            actor=user,
            case=case,
            to=data["to"],
            note=data["note"],
            disposition=data["disposition"],
            no_sanction_reason=data["no_sanction_reason"],
            clarification=data["clarification"],
            result_summary=data["result_summary"],
        ),
        _("The case has moved."),
        "cases.change_case",
    )


@login_required
@require_POST
def case_assign(request: HttpRequest, number: str) -> HttpResponse:
    """A leader assigns someone to the case."""
    return _act(
        request,
        number,
        "assign_form",
        lambda case: AssignForm(request.POST, case=case),
        lambda user, case, data: services.case_assign(
            actor=user, case=case, user=data["user"], role=data["role"], note=data["note"]
        ),
        _("The assignment is recorded."),
        "cases.approve_case",
    )


@login_required
@require_POST
def case_unassign(request: HttpRequest, number: str) -> HttpResponse:
    """A leader ends someone's assignment to the case."""
    return _act(
        request,
        number,
        "unassign_form",
        lambda case: UnassignForm(request.POST, case=case),
        lambda user, case, data: services.case_unassign(
            actor=user, assignment=data["assignment"], note=data["note"]
        ),
        _("The assignment has ended."),
        "cases.approve_case",
    )


@login_required
@require_POST
def case_add_subject(request: HttpRequest, number: str) -> HttpResponse:
    """Name another cadre of the village as a subject."""
    return _act(
        request,
        number,
        "subject_form",
        lambda case: SubjectForm(request.POST, case=case),
        lambda user, case, data: services.case_add_subject(
            actor=user, case=case, cadre=data["cadre"], categories=data["categories"]
        ),
        _("The subject is added."),
        "cases.handle_case",
    )


@login_required
@require_POST
def case_sanction(request: HttpRequest, number: str) -> HttpResponse:
    """Record a sanction decided on a subject."""
    return _act(
        request,
        number,
        "sanction_form",
        lambda case: SanctionForm(request.POST, case=case),
        lambda user, case, data: services.sanction_record(
            actor=user,
            case=case,
            cadre=data["cadre"],
            type=data["type"],
            decided_on=data["decided_on"],
            decision_no=data["decision_no"],
            probation_years=data["probation_years"],
            note=data["note"],
        ),
        _("The sanction is recorded."),
        "cases.add_sanction",
    )


@login_required
@require_POST
def case_appeal_file(request: HttpRequest, number: str) -> HttpResponse:
    """Record an appeal against a sanction in force."""
    return _act(
        request,
        number,
        "appeal_file_form",
        lambda case: AppealFileForm(request.POST, case=case),
        lambda user, case, data: services.appeal_file(
            actor=user,
            sanction=data["sanction"],
            level=data["level"],
            filed_on=data["filed_on"],
            grounds=data["grounds"],
        ),
        _("The appeal is filed; the sanction stays in force meanwhile."),
        "cases.add_appeal",
    )


@login_required
@require_POST
def case_appeal_accept(request: HttpRequest, number: str) -> HttpResponse:
    """A leader accepts an appeal and names its reviewers."""
    return _act(
        request,
        number,
        "appeal_accept_form",
        lambda case: AppealAcceptForm(request.POST, case=case),
        lambda user, case, data: services.appeal_accept(
            actor=user,
            appeal=data["appeal"],
            accepted_on=data["accepted_on"],
            reviewers=list(data["reviewers"]),
        ),
        _("The appeal is accepted."),
        "cases.approve_case",
    )


@login_required
@require_POST
def case_appeal_decide(request: HttpRequest, number: str) -> HttpResponse:
    """A reviewer decides the appeal: uphold, change or revoke."""
    return _act(
        request,
        number,
        "appeal_decide_form",
        lambda case: AppealDecideForm(request.POST, case=case, user=request.user),
        lambda user, case, data: services.appeal_decide(
            actor=user,
            appeal=data["appeal"],
            result=data["result"],
            decided_on=data["decided_on"],
            note=data["note"],
            changed_to=data["changed_to"],
            probation_years=data["probation_years"],
        ),
        _("The appeal is decided."),
        "cases.change_appeal",
    )


@login_required
@require_POST
def case_extend(request: HttpRequest, number: str) -> HttpResponse:
    """A leader extends a deadline whose rule allows it."""
    return _act(
        request,
        number,
        "extend_form",
        lambda case: ExtendForm(request.POST, case=case),
        lambda user, case, data: services.deadline_extend(
            actor=user, deadline=data["deadline"], amount=data["amount"], reason=data["reason"]
        ),
        _("The deadline is extended."),
        "cases.add_deadlineextension",
    )
