"""What the staff pages of complaints (views_complaints) and cases (views_cases) share: paging,
filters, and turning a service's refusal into a form error with the right status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _

from cases.services.errors import NotFound, TransitionRefused
from oversight.errors import NotPermitted, OversightError
from villages.forms_reviews import add_service_error

PAGE_SIZE = 25
CHECK_INPUT = _("Check what you entered below.")


def filters(form: forms.Form) -> dict[str, Any]:
    """The filters that parsed; one that did not (an unknown status, a village out of
    jurisdiction) is ignored, as if it had not been given."""
    form.is_valid()
    cleaned = dict(getattr(form, "cleaned_data", {}))
    for name in form.errors:
        cleaned.pop(name, None)
    return cleaned


def paginate(request: HttpRequest, rows: Any) -> tuple[Any, str]:
    """The requested page of `rows` and the query string of the other parameters."""
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def require(user: Any, *perms: str) -> None:
    """403 unless `user` holds every permission: they can see the record but not do this."""
    if not all(user.has_perm(perm) for perm in perms):
        raise PermissionDenied


def refusal_status(error: Exception) -> int:
    """The status of a refused action: out of sight 404, not permitted 403, a move the
    pipeline does not allow now 409, anything else the input's fault 400."""
    if isinstance(error, NotFound):
        raise Http404
    if isinstance(error, NotPermitted):
        return 403
    if isinstance(error, TransitionRefused):
        return 409
    return 400


def refusal_message(error: Exception) -> str:
    if isinstance(error, OversightError):
        return str(error.message)
    if isinstance(error, ValidationError):
        return " ".join(str(m) for m in error.messages)
    return str(error)


def attempt(form: forms.Form, perform: Callable[[], Any]) -> tuple[Any, int, str | None]:
    """Call the service; a refusal becomes an error on `form`. Returns (result, status,
    message): status 200 and no message when it went through."""
    try:
        return perform(), 200, None
    except (OversightError, ValidationError) as error:
        status = refusal_status(error)
        add_service_error(form, error)
        return None, status, refusal_message(error)
