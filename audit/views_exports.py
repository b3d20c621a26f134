"""Exports of the change feed (/audit/exports/): ask for one with the feed's filters, follow it
while it is written, download it. An export is seen by its creator and the district-wide roles;
to anyone else it looks missing (404)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from audit import services
from audit.forms import FeedFilterForm
from audit.models import Export, ExportFormat, ExportStatus
from audit.selectors import may_see_feed
from oversight.errors import NotPermitted, OversightError
from oversight.shortcuts import get_restricted_or_404

PAGE_SIZE = 25
CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# How often the page of an export being written asks again (htmx); without JS, a link does.
POLL_SECONDS = 3


def _exports(request: HttpRequest) -> Any:
    """The exports the user may see (restricted), with their creators."""
    return Export.objects.restrict(request.user, "view").select_related("created_by")


def _export(request: HttpRequest, pk: int) -> Export:
    """An export the user may see (404 otherwise, also once they lost the feed)."""
    if not may_see_feed(request.user):
        raise Http404
    exports = Export.objects.select_related("created_by", "village")
    return get_restricted_or_404(exports, request.user, "view", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def export_list(request: HttpRequest) -> HttpResponse:
    """The exports the user may see, newest first; a POST (from the feed page) asks for a new
    one with the feed's filters and the chosen format."""
    user: Any = request.user
    if not may_see_feed(user):
        raise PermissionDenied
    status, errors = 200, None
    if request.method == "POST":
        form = FeedFilterForm(request.POST, user=user)
        if form.is_valid():
            try:
                export = services.export_request(
                    actor=user, format=request.POST.get("format", ""), filters=form.filters()
                )
            except NotPermitted as error:
                raise PermissionDenied(str(error.message)) from error
            except OversightError as error:
                status, errors = 400, [error.message]
            else:
                if export.status == ExportStatus.DONE:
                    messages.success(request, _("The export is ready."))
                elif export.status == ExportStatus.PENDING:
                    messages.info(request, _("The export is being prepared."))
                else:
                    messages.error(request, _("The export failed."))
                return redirect("audit:export", pk=export.pk)
        else:
            status = 400
            errors = [
                f"{form[name].label}: {' '.join(str(e) for e in found)}"
                for name, found in form.errors.items()
            ]
    page = Paginator(_exports(request), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "query": "", "errors": errors}
    return render(request, "audit/export_list.html", context, status=status)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One export: its state while it is written (the page asks again until it is done), its
    provenance, and the download link."""
    export = _export(request, pk)
    context = {"export": export, "poll_seconds": POLL_SECONDS}
    partial = request.htmx  # type: ignore[attr-defined]
    template = "audit/export_status.html" if partial else "audit/export_detail.html"
    return render(request, template, context)


@login_required
@require_GET
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    """The export's file, under its own name (a time and a number, nothing personal)."""
    export = _export(request, pk)
    if not export.is_ready:
        raise Http404
    return FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=export.file_name,
        content_type=CONTENT_TYPES[ExportFormat(export.format)],
    )
