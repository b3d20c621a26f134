"""Staff pages of complaints: the intake list, the intake form, a complaint's page with the
moves the user may make, and the reveal of a reporter behind a stated purpose."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from cases import selectors, services
from cases.forms import (
    CloseForm,
    ComplaintFilterForm,
    ComplaintForm,
    DuplicateForm,
    MessageForm,
    NotAcceptForm,
    OpenCaseForm,
    RegisterForm,
    RevealForm,
    TransferForm,
)
from cases.models import Case, Complaint
from cases.services.reporter import reporter_reveal
from cases.views import CHECK_INPUT, attempt, filters, paginate, require
from villages.models import Village

CHANGE = "cases.change_complaint"


@login_required
@require_GET
@vary_on_headers("HX-Request")
def complaint_list(request: HttpRequest) -> HttpResponse:
    """The intake list: the complaints of the jurisdiction, newest first, filtered by status,
    village and channel."""
    require(request.user, "cases.view_complaint")
    form = ComplaintFilterForm(request.GET or None, user=request.user)
    data = filters(form)
    rows = selectors.complaint_list(
        request.user,
        status=data.get("status", ""),
        village=data.get("village"),
        channel=data.get("channel", ""),
    )
    page, query = paginate(request, rows)
    context = {
        "form": form,
        "page": page,
        "query": query,
        "may_create": request.user.has_perm("cases.add_complaint"),
    }
    partial = request.htmx  # type: ignore[attr-defined]
    template = "cases/partials/_complaint_table.html" if partial else "cases/complaint_list.html"
    return render(request, template, context)


def _chosen_village(request: HttpRequest) -> Village | None:
    """The village the intake form is for (posted, or ?village= to list its cadres first)."""
    code = request.POST.get("village") or request.GET.get("village")
    if not code or "\x00" in code:  # PostgreSQL refuses NUL in a query: no such village
        return None
    return Village.objects.restrict(request.user, "view").filter(code=code).first()


@login_required
@require_http_methods(["GET", "POST"])
def complaint_create(request: HttpRequest) -> HttpResponse:
    """Staff intake: enter a complaint received by any channel but the committee's."""
    require(request.user, "cases.add_complaint")
    village = _chosen_village(request)
    posted = request.method == "POST"
    initial = {"village": village.code} if village is not None and not posted else None
    form = ComplaintForm(request.POST if posted else None, user=request.user, initial=initial)
    status = 200
    if posted:
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            complaint, status, _refusal = attempt(
                form,
                lambda: services.complaint_create(
                    actor=request.user,  # type: ignore[arg-type]
                    village=data["village"],
                    channel=data["channel"],
                    summary=data["summary"],
                    content=data["content"],
                    categories=data["categories"],
                    received_at=data["received_at"],
                    accused=list(data["accused"]),
                    reporter=form.reporter(),
                ),
            )
            if complaint is not None:
                messages.success(
                    request,
                    _("Complaint %(number)s is entered.") % {"number": complaint.number},
                )
                return redirect("complaints:detail", pk=complaint.pk)
    form.offer_cadres(village)
    return render(
        request, "cases/complaint_form.html", {"form": form, "village": village}, status=status
    )


# --- A complaint's page --------------------------------------------------------------------------


def _render_detail(
    request: HttpRequest,
    complaint: Complaint,
    *,
    status: int = 200,
    bound: dict[str, Any] | None = None,
    error: Any = None,
    revealed: dict[str, str] | None = None,
) -> HttpResponse:
    user = request.user
    actions = selectors.complaint_actions(user, complaint)
    context: dict[str, Any] = {
        "complaint": complaint,
        "village": complaint.village,
        "actions": actions,
        "redacted": selectors.complaint_redacted(user, complaint),
        "categories": [link.get_category_display() for link in complaint.category_links.all()],
        "accused": [link.cadre for link in complaint.accused_links.all()],
        "reporter_messages": selectors.complaint_messages(complaint),
        "duplicates": selectors.complaint_duplicates(user, complaint),
        "named": selectors.has_reporter(complaint),
        "register_form": RegisterForm(),
        "not_accept_form": NotAcceptForm(),
        "transfer_form": TransferForm(),
        "duplicate_form": DuplicateForm(),
        "message_form": MessageForm(),
        "close_form": CloseForm(),
        "reveal_form": RevealForm(),
        "action_error": error,
        "revealed": revealed,
    }
    if "open_case" in actions:
        context["open_case_form"] = OpenCaseForm(complaint=complaint)
    context.update(bound or {})
    return render(request, "cases/complaint_detail.html", context, status=status)


@login_required
@require_GET
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A complaint: what was reported, about whom, what was said to the reporter, its case."""
    return _render_detail(request, selectors.complaint_for_page(request.user, pk))


def _act(
    request: HttpRequest,
    pk: int,
    form_name: str,
    form: forms.Form,
    perform: Callable[[Any, Complaint, dict[str, Any]], Any],
    done: Any,
    *perms: str,
) -> HttpResponse:
    """Parse the action's form, call its one service and go back to the complaint (or where the
    service's result lives); a refusal re-renders the page with the reason."""
    complaint = selectors.complaint_for_page(request.user, pk)
    require(request.user, *(perms or (CHANGE,)))
    if not form.is_valid():
        return _render_detail(
            request, complaint, status=400, bound={form_name: form}, error=CHECK_INPUT
        )
    result, status, message = attempt(
        form, lambda: perform(request.user, complaint, form.cleaned_data)
    )
    if message is not None:
        complaint = selectors.complaint_for_page(request.user, pk)
        return _render_detail(
            request, complaint, status=status, bound={form_name: form}, error=message
        )
    messages.success(request, done)
    if isinstance(result, Case):
        return redirect("cases:detail", number=result.number)
    return redirect("complaints:detail", pk=pk)


@login_required
@require_POST
def complaint_register(request: HttpRequest, pk: int) -> HttpResponse:
    """Register (accept) the complaint for handling."""
    return _act(
        request,
        pk,
        "register_form",
        RegisterForm(request.POST),
        lambda user, complaint, data: services.complaint_register(
            actor=user, complaint=complaint, note=data["note"]
        ),
        _("The complaint is registered."),
    )


@login_required
@require_POST
def complaint_not_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Refuse the complaint, saying why."""
    return _act(
        request,
        pk,
        "not_accept_form",
        NotAcceptForm(request.POST),
        lambda user, complaint, data: services.complaint_not_accept(
            actor=user, complaint=complaint, note=data["note"]
        ),
        _("The complaint is not accepted."),
    )


@login_required
@require_POST
def complaint_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    """Pass the complaint to the competent authority."""
    return _act(
        request,
        pk,
        "transfer_form",
        TransferForm(request.POST),
        lambda user, complaint, data: services.complaint_transfer(
            actor=user, complaint=complaint, note=data["note"]
        ),
        _("The complaint is transferred."),
    )


@login_required
@require_POST
def complaint_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    """Link the complaint as a repeat of another, named by its number."""
    form = DuplicateForm(request.POST, user=request.user)
    return _act(
        request,
        pk,
        "duplicate_form",
        form,
        lambda user, complaint, data: services.complaint_mark_duplicate(
            actor=user, complaint=complaint, duplicate_of=data["duplicate_of"], note=data["note"]
        ),
        _("The complaint is linked as a duplicate."),
    )


@login_required
@require_POST
def complaint_open_case(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a case from the registered complaint; go to the case."""
    complaint = selectors.complaint_for_page(request.user, pk)
    return _act(
        request,
        pk,
        "open_case_form",
        OpenCaseForm(request.POST, complaint=complaint),
        lambda user, complaint, data: services.case_open(
            actor=user,
            complaints=[complaint],
            summary=data["summary"],
            kind=data["kind"],
            subjects=[(cadre, data["categories"]) for cadre in data["subjects"]],
            note=data["note"],
        ),
        _("The case is opened."),
        CHANGE,
        "cases.add_case",
    )


@login_required
@require_POST
def complaint_message(request: HttpRequest, pk: int) -> HttpResponse:
    """Write to the reporter (what the status page shows them)."""
    return _act(
        request,
        pk,
        "message_form",
        MessageForm(request.POST),
        lambda user, complaint, data: services.complaint_message(
            actor=user, complaint=complaint, kind=data["kind"], body=data["body"]
        ),
        _("The message to the reporter is recorded."),
    )


@login_required
@require_POST
def complaint_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close the concluded complaint with its summary (总结)."""
    return _act(
        request,
        pk,
        "close_form",
        CloseForm(request.POST),
        lambda user, complaint, data: services.complaint_close(
            actor=user, complaint=complaint, closing_summary=data["closing_summary"]
        ),
        _("The complaint is closed with its summary."),
    )


@never_cache
@login_required
@require_POST
def complaint_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Reveal the reporter for a stated purpose: shown on this response only, never stored
    (no redirect, no message); the service writes the sensitive-access record."""
    complaint = selectors.complaint_for_page(request.user, pk)
    if not selectors.may_reveal(request.user, complaint):
        raise PermissionDenied
    form = RevealForm(request.POST)
    if not form.is_valid():
        return _render_detail(
            request, complaint, status=400, bound={"reveal_form": form}, error=CHECK_INPUT
        )
    identity, status, message = attempt(
        form,
        lambda: reporter_reveal(
            actor=request.user,  # type: ignore[arg-type]
            complaint=complaint,
            purpose=form.cleaned_data["purpose"],
            case=complaint.case,
        ),
    )
    if message is not None:
        return _render_detail(
            request, complaint, status=status, bound={"reveal_form": form}, error=message
        )
    return _render_detail(request, complaint, revealed=identity)
