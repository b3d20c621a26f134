"""Pages of the committee's ledger: a village's reviews, recording and editing one, a review's
page with its workflow actions, its attachments, and the list of open risk flags."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from oversight.errors import NotPermitted, OversightError
from oversight.faults import StorageUnavailable
from oversight.shortcuts import get_restricted_or_404
from villages import choices, services
from villages import selectors_reviews as ledger
from villages.forms_reviews import (
    AcceptForm,
    AttachForm,
    EscalateForm,
    FlagFilterForm,
    RespondForm,
    ReviewFilterForm,
    ReviewFormBase,
    SignForm,
    add_service_error,
    entry_data,
    entry_formset,
    review_form_class,
    stage_forms,
)
from villages.models import Review, ReviewAttachment, Village

PAGE_SIZE = 25


def _village(request: HttpRequest, code: str) -> Village:
    return get_restricted_or_404(
        Village.objects.select_related("township"), request.user, "view", code=code
    )


def _filters(form: Any) -> dict[str, Any]:
    """The filters that parsed; one that did not (an unknown kind, a bad month) is ignored."""
    form.is_valid()
    return dict(getattr(form, "cleaned_data", {}))


def _page(request: HttpRequest, rows: Any) -> tuple[Any, str]:
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


# --- The ledger ----------------------------------------------------------------------------------


@login_required
@require_GET
@vary_on_headers("HX-Request")
def review_list(request: HttpRequest, code: str) -> HttpResponse:
    """A village's ledger, newest first, filtered by kind, status, outcome and month."""
    village = _village(request, code)
    form = ReviewFilterForm(request.GET or None)
    reviews = ledger.ledger(request.user, village, **_filters(form))
    page, query = _page(request, reviews)
    context = {
        "village": village,
        "form": form,
        "page": page,
        "query": query,
        "may_record": ledger.may_record(request.user, village),
        "can_see_flags": ledger.may_see_flags(request.user),
    }
    partial = request.htmx  # type: ignore[attr-defined]
    template = "villages/partials/_review_table.html" if partial else "villages/review_list.html"
    return render(request, template, context)


def _recordable_village(request: HttpRequest, code: str) -> Village:
    village = _village(request, code)
    if not ledger.may_record(request.user, village):
        raise PermissionDenied
    return village


@login_required
@require_GET
def review_kind(request: HttpRequest, code: str) -> HttpResponse:
    """Choose what kind of review to record."""
    village = _recordable_village(request, code)
    return render(
        request,
        "villages/review_kind.html",
        {"village": village, "kinds": choices.ReviewKind.choices},
    )


# --- Recording and editing -----------------------------------------------------------------------


def _initial(review: Review | None, form_class: type[ReviewFormBase]) -> dict[str, Any] | None:
    if review is None:
        return None
    initial = {name: getattr(review, name) for name in form_class.own_fields}
    initial["responsible_cadres"] = [c.pk for c in review.responsible_cadres.all()]
    return initial


def _review_form(
    request: HttpRequest, village: Village, kind: str, review: Review | None = None
) -> HttpResponse:
    """The form of a kind, for a new review or an existing one; writes through the services."""
    form_class = review_form_class(kind)
    posted = request.method == "POST"
    data, files = (request.POST, request.FILES) if posted else (None, None)
    form = form_class(
        data,
        files,
        user=request.user,
        village=village,
        review=review,
        initial=_initial(review, form_class),
    )
    stages = stage_forms(data, review) if kind == choices.ReviewKind.DECISION else []
    entries = entry_formset(data, review) if kind == choices.ReviewKind.ROSTER else None
    status = 200
    if posted:
        valid = [form.is_valid(), *(s.is_valid() for s in stages)]
        valid.append(entries is None or entries.is_valid())
        status = 400
        if all(valid):
            saved, status = _save(request, form, village, kind, review, stages, entries)
            if saved is not None:
                messages.success(request, _("The review is saved."))
                return redirect("reviews:detail", pk=saved.pk)
    context = {
        "village": village,
        "kind": kind,
        "kind_label": choices.ReviewKind(kind).label,
        "review": review,
        "form": form,
        "stages": stages,
        "entries": entries,
    }
    return render(request, "villages/review_form.html", context, status=status)


def _save(
    request: HttpRequest,
    form: ReviewFormBase,
    village: Village,
    kind: str,
    review: Review | None,
    stages: list[Any],
    entries: Any,
) -> tuple[Review | None, int]:
    """Record or edit the review, then attach the file; both or neither (one transaction)."""
    actor: Any = request.user
    children: dict[str, Any] = {"cadres": list(form.cleaned_data["responsible_cadres"])}
    if kind == choices.ReviewKind.DECISION:
        children["stages"] = [d for d in (s.service_data() for s in stages) if d is not None]
    if entries is not None:
        children["entries"] = entry_data(entries)
    reason = form.cleaned_data.get("reason", "")
    upload = form.cleaned_data.get("attachment")
    try:
        with transaction.atomic():
            if review is None:
                saved = services.review_create(
                    actor=actor, village=village, kind=kind, fields=form.review_fields(), **children
                )
            else:
                saved = services.review_update(
                    actor=actor,
                    review=review,
                    fields=form.review_fields(),
                    reason=reason,
                    **children,
                )
            if upload:
                services.review_attach(actor=actor, review=saved, upload=upload, reason=reason)
    except ValidationError as error:
        add_service_error(form, error)
        return None, 400
    except NotPermitted as error:
        add_service_error(form, error)
        return None, 403
    except services.AttachmentRefused as error:
        add_service_error(form, error, field="attachment")
        return None, 400
    except StorageUnavailable as error:
        # The disk is full or read-only: the review was not recorded either (one transaction).
        add_service_error(form, error, field="attachment")
        return None, error.status_code
    except OversightError as error:
        add_service_error(form, error)
        return None, 400
    return saved, 200


@login_required
@require_http_methods(["GET", "POST"])
def review_create(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    """Record a review of one kind in a village's ledger (as a draft)."""
    village = _recordable_village(request, code)
    if kind not in choices.ReviewKind.values:
        raise Http404
    return _review_form(request, village, kind)


@login_required
@require_http_methods(["GET", "POST"])
def review_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a review; once submitted, with a reason, and its signatures are voided."""
    review = ledger.review_for_page(request.user, pk)
    if "edit" not in ledger.review_actions(request.user, review):
        raise PermissionDenied
    return _review_form(request, review.village, review.kind, review)


# --- A review's page -----------------------------------------------------------------------------


def _render_detail(
    request: HttpRequest,
    review: Review,
    *,
    status: int = 200,
    bound: dict[str, Any] | None = None,
    error: Any = None,
) -> HttpResponse:
    actions = ledger.review_actions(request.user, review)
    context = {
        "review": review,
        "village": review.village,
        "facts": ledger.review_facts(review),
        "stages": ledger.review_stages(review),
        "flags": ledger.review_flags(request.user, review),
        "history": ledger.review_history(request.user, review),
        "escalation_withheld": ledger.escalation_withheld(request.user, review),
        "actions": actions,
        "sign_form": SignForm(),
        "respond_form": RespondForm(initial={"on_paper": "respond_on_paper" in actions}),
        "accept_form": AcceptForm(),
        "escalate_form": EscalateForm(),
        "attach_form": AttachForm(),
        "action_error": error,
        **(bound or {}),
    }
    return render(request, "villages/review_detail.html", context, status=status)


@login_required
@require_GET
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A review: its fields, stages, households, signatures, flags, answer and history."""
    return _render_detail(request, ledger.review_for_page(request.user, pk))


def _act(
    request: HttpRequest,
    pk: int,
    form_name: str,
    form: Any,
    perform: Callable[[Any, Review, dict[str, Any]], Any],
    done: Any,
) -> HttpResponse:
    """Parse the action's form, call its one service and go back to the review; a refusal
    re-renders the review's page with the reason: 403 if not permitted, 507 or 503 if the disk
    is full or read-only, else 400."""
    review = ledger.review_for_page(request.user, pk)
    if form is not None and not form.is_valid():
        error = _("Check what you entered below.")
        return _render_detail(request, review, status=400, bound={form_name: form}, error=error)
    try:
        perform(request.user, review, form.cleaned_data if form is not None else {})
    except (OversightError, ValidationError) as refusal:
        status = 403 if isinstance(refusal, NotPermitted) else 400
        if isinstance(refusal, StorageUnavailable):
            status = refusal.status_code
        message = (
            refusal.message if isinstance(refusal, OversightError) else " ".join(refusal.messages)
        )
        review = ledger.review_for_page(request.user, pk)
        bound = {form_name: form} if form is not None else {}
        return _render_detail(request, review, status=status, bound=bound, error=message)
    messages.success(request, done)
    return redirect("reviews:detail", pk=pk)


@login_required
@require_POST
def review_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "submit_form",
        None,
        lambda user, review, _data: services.review_submit(actor=user, review=review),
        _("The review is submitted for signing."),
    )


@login_required
@require_POST
def review_sign(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "sign_form",
        SignForm(request.POST),
        lambda user, review, data: services.review_sign(
            actor=user, review=review, outcome=data["outcome"], opinion=data["opinion"]
        ),
        _("Your signature is recorded."),
    )


@login_required
@require_POST
def review_respond(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "respond_form",
        RespondForm(request.POST),
        lambda user, review, data: services.review_respond(
            actor=user, review=review, response=data["response"], on_paper=data["on_paper"]
        ),
        _("The village's response is recorded."),
    )


@login_required
@require_POST
def review_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "accept_form",
        AcceptForm(request.POST),
        lambda user, review, data: services.review_accept(
            actor=user, review=review, opinion=data["opinion"]
        ),
        _("The response is accepted and the review is closed."),
    )


@login_required
@require_POST
def review_escalate(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "escalate_form",
        EscalateForm(request.POST),
        lambda user, review, data: services.review_escalate(
            actor=user, review=review, note=data["note"]
        ),
        _("The review is escalated to the township discipline commission."),
    )


@login_required
@require_POST
def review_attach(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "attach_form",
        AttachForm(request.POST, request.FILES),
        lambda user, review, data: services.review_attach(
            actor=user, review=review, upload=data["file"], reason=data["reason"]
        ),
        _("The file is attached."),
    )


@login_required
@require_GET
def review_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    """Download a review's attachment, as stored, under its original name."""
    review = get_restricted_or_404(Review, request.user, "view", pk=pk)
    attachment = get_restricted_or_404(
        ReviewAttachment, request.user, "view", pk=attachment_pk, review=review
    )
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


# --- Open flags ----------------------------------------------------------------------------------


@login_required
@require_GET
@vary_on_headers("HX-Request")
def flag_list(request: HttpRequest) -> HttpResponse:
    """The open risk flags of the villages the user may see, by township, village and code."""
    form = FlagFilterForm(request.GET or None, user=request.user)
    page, query = _page(request, ledger.open_flags(request.user, **_filters(form)))
    context = {"form": form, "page": page, "query": query}
    partial = request.htmx  # type: ignore[attr-defined]
    template = "villages/partials/_flag_table.html" if partial else "villages/flag_list.html"
    return render(request, template, context)
