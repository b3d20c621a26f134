"""The public pages (no login): report a problem and get a receipt code, then follow the report
with that code — see its status, answer the handler's questions, rate the handling.

Phones, weak connections, no JavaScript: plain forms that post back to the same page. The
receipt is never put in a URL, a session or a cookie: the receipt page is rendered, not
redirected to, and every follow-up form posts the code again in a hidden field. Pages that show
a receipt are never cached. Any wrong code gets the same "not found" page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cases import choices, vault
from cases.services import public
from cases.services.errors import NotFound
from oversight import ratelimit
from oversight.errors import OversightError
from oversight.faults import StorageUnavailable

REPORT_SCOPE = "public-report"
RECEIPT_SCOPE = "public-receipt"


# --- Forms --------------------------------------------------------------------------------------


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one <input type="file" multiple>; an empty list when none."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        files = data if isinstance(data, list | tuple) else [data]
        return [single(f, initial) for f in files if f]


def _text(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class ReportForm(forms.Form):
    """What a villager tells us: where, what kind of problem, what happened, and optionally who
    they are. Only parses input: `public_report` decides what is kept."""

    village = forms.ChoiceField(label=_("Village or community"))
    categories = forms.MultipleChoiceField(
        label=_("What kind of problem is it? (choose one or more)"),
        choices=choices.Category.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(
        label=_("What happened?"),
        help_text=_("Who did what, when and where, and how you know. At most 5,000 characters."),
        max_length=public.MAX_DESCRIPTION,
        widget=_text(8),
    )
    anonymous = forms.BooleanField(
        label=_("Report anonymously: do not keep my name or contact details"),
        required=False,
    )
    name = forms.CharField(
        label=_("Your name"), required=False, max_length=public.IDENTITY_MAX_LENGTH["name"]
    )
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=public.IDENTITY_MAX_LENGTH["phone"],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    id_number = forms.CharField(
        label=_("ID number"), required=False, max_length=public.IDENTITY_MAX_LENGTH["id_number"]
    )
    address = forms.CharField(
        label=_("Address"), required=False, max_length=public.IDENTITY_MAX_LENGTH["address"]
    )
    attachments = MultipleFileField(
        label=_("Photos or documents (optional)"),
        help_text=_("Up to 5 files: PDF, JPEG or PNG, at most 10 MB each."),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )

    identity_fields = ("name", "phone", "id_number", "address")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        village: forms.ChoiceField = self.fields["village"]  # type: ignore[assignment]
        village.choices = [("", _("Choose…")), *public.public_villages()]

    def clean_attachments(self) -> list[Any]:
        files = self.cleaned_data.get("attachments") or []
        if len(files) > public.MAX_ATTACHMENTS:
            raise forms.ValidationError(
                _("Send at most %(count)d files with a report."),
                params={"count": public.MAX_ATTACHMENTS},
            )
        return list(files)

    def identity(self) -> list[forms.BoundField]:
        """The identity fields, for the "about you" part of the page."""
        return [self[name] for name in self.identity_fields]

    def reporter(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in self.identity_fields}


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=_("Receipt code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class AnswerForm(forms.Form):
    body = forms.CharField(label=_("Your answer"), max_length=public.MAX_ANSWER, widget=_text(5))


class RateForm(forms.Form):
    rating = forms.ChoiceField(
        label=_("How satisfied are you with how your report was handled?"),
        choices=choices.Rating.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=public.MAX_COMMENT,
        widget=_text(3),
    )


def _service_error(form: forms.Form, error: OversightError, field: str | None = None) -> None:
    form.add_error(field, str(error.message))


# --- Throttling ---------------------------------------------------------------------------------


def _throttled(
    request: HttpRequest, template: str, context: dict[str, Any], wait: int
) -> HttpResponse:
    """The page again, saying in plain words how long to wait: 429 with Retry-After."""
    minutes = max(1, (wait + 59) // 60)
    response = render(request, template, {**context, "wait_minutes": minutes}, status=429)
    response["Retry-After"] = str(wait)
    return response


# --- Reporting ----------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """The report form; on success, the receipt page (rendered, never redirected to)."""
    if request.method != "POST":
        return render(request, "cases/public/report.html", {"form": ReportForm()})
    form = ReportForm(request.POST, request.FILES)
    if form.is_valid():
        wait = ratelimit.hit(
            request, REPORT_SCOPE, settings.OVERSIGHT_PUBLIC_REPORTS_PER_HOUR, 60 * 60
        )
        if wait is not None:
            return _throttled(request, "cases/public/report.html", {"form": form}, wait)
        data = form.cleaned_data
        try:
            complaint, receipt = public.public_report(
                village=data["village"],
                categories=data["categories"],
                description=data["description"],
                reporter=form.reporter(),
                anonymous=data["anonymous"],
                attachments=data["attachments"],
            )
        except public.AttachmentRefused as error:
            _service_error(form, error, "attachments")
        except StorageUnavailable as error:
            # The server's disk, not the reporter's input: 507 or 503, so they try again later.
            _service_error(form, error)
            return render(
                request, "cases/public/report.html", {"form": form}, status=error.status_code
            )
        except OversightError as error:
            _service_error(form, error)
        else:
            context = {"receipt": receipt, "named": not complaint.is_anonymous}
            return render(request, "cases/public/receipt.html", context)
    return render(request, "cases/public/report.html", {"form": form}, status=400)


# --- Following a report -------------------------------------------------------------------------


def _not_found(request: HttpRequest) -> HttpResponse:
    """The one answer to every wrong code: it never says more than "no such report"."""
    context = {"form": ReceiptForm(), "not_found": True}
    return render(request, "cases/public/status.html", context, status=404)


def _follow_up(request: HttpRequest, receipt: str) -> tuple[dict[str, Any], int]:
    """Apply the answer or rating posted with the receipt; the forms to show and the status."""
    forms_: dict[str, Any] = {"answer_form": AnswerForm(), "rate_form": RateForm()}
    action = request.POST.get("action", "")
    if action not in ("answer", "rate"):
        return forms_, 200
    form: forms.Form = AnswerForm(request.POST) if action == "answer" else RateForm(request.POST)
    forms_[f"{action}_form"] = form
    if not form.is_valid():
        return forms_, 400
    try:
        if action == "answer":
            public.public_answer(receipt=receipt, body=form.cleaned_data["body"])
            forms_["done"] = _("Your answer has been sent to the person handling your report.")
            forms_["answer_form"] = AnswerForm()
        else:
            public.public_rate(
                receipt=receipt,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
            forms_["done"] = _("Thank you: your rating has been recorded.")
    except NotFound:
        raise
    except OversightError as error:
        _service_error(form, error)
        return forms_, 400
    return forms_, 200


@never_cache
@require_http_methods(["GET", "POST"])
def status(request: HttpRequest) -> HttpResponse:
    """Enter the receipt code (posted, never in the URL) to see the report's status; answer a
    question or rate the handling from the same page."""
    if request.method != "POST":
        return render(request, "cases/public/status.html", {"form": ReceiptForm()})
    form = ReceiptForm(request.POST)
    if not form.is_valid():
        return render(request, "cases/public/status.html", {"form": form}, status=400)
    receipt = form.cleaned_data["receipt"]
    if not vault.is_receipt(receipt):
        return _not_found(request)
    wait = ratelimit.hit(request, RECEIPT_SCOPE, settings.OVERSIGHT_RECEIPT_LOOKUPS_PER_MINUTE, 60)
    if wait is not None:
        return _throttled(request, "cases/public/status.html", {"form": ReceiptForm()}, wait)
    try:
        context, code = _follow_up(request, receipt)
    except NotFound:
        return _not_found(request)
    state = public.public_status(receipt=receipt)
    if state is None:
        return _not_found(request)
    context.update({"state": state, "receipt": vault.normalise_receipt(receipt)})
    return render(request, "cases/public/status.html", context, status=code)
