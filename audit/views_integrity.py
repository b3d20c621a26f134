"""Pages of the ledger's integrity: the last verification and seals, starting a verification,
and a seal's printable page (DOMAIN.md §6). For holders of district-wide jurisdiction only."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from audit.models import DISTRICT_CHAIN, Seal, Verification
from audit.seals import heads_of, seal_fields
from audit.verify import KIND_LABELS, verify_ledger
from oversight.roles import DISTRICT_WIDE
from villages.models import Village

RECENT_SEALS = 10


def _require_district(user: Any) -> None:
    """Integrity proofs cover every village: only district-wide users see them (403 for
    others — there is no record to hide, only a page they may not use)."""
    if not user.has_perm(DISTRICT_WIDE):
        raise PermissionDenied


@login_required
@require_GET
def integrity(request: HttpRequest) -> HttpResponse:
    """The last verification (time, result, counts, problems) and the last seals."""
    _require_district(request.user)
    verification = Verification.objects.select_related("village").first()
    problems = [
        {**problem, "kind_label": KIND_LABELS.get(problem.get("kind"), problem.get("kind"))}
        for problem in (verification.problems if verification is not None else [])
    ]
    context = {
        "verification": verification,
        "problems": problems,
        # The heads can be hundreds of chains per seal; this list only shows the root.
        "seals": list(Seal.objects.defer("heads").order_by("-id")[:RECENT_SEALS]),
    }
    return render(request, "audit/integrity.html", context)


@login_required
@require_POST
def integrity_verify(request: HttpRequest) -> HttpResponse:
    """Verify the whole ledger now (inline for now; issue #6 moves it to a Celery task)."""
    _require_district(request.user)
    user: Any = request.user
    report = verify_ledger(started_by=user.get_full_name() or user.get_username())
    if report.ok:
        messages.success(request, _("The ledger is intact."))
    else:
        count = len(report.problems)
        messages.warning(
            request,
            ngettext(
                "The verification found %(count)s problem.",
                "The verification found %(count)s problems.",
                count,
            )
            % {"count": count},
        )
    # With HTMX the form swaps the verification part of the page this redirect leads to.
    return redirect("audit:integrity")


def _qr_svg(root: str) -> str:
    """The root as a QR code in inline SVG (segno writes only paths: safe to inline)."""
    code = segno.make(root, error="m")
    return mark_safe(  # noqa: S308 - generated from a hex string, no user markup
        code.svg_inline(scale=4, border=4, omitsize=True, svgclass="qr", title=root)
    )


@login_required
@require_GET
def seal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A seal's printable page: its root in hex and as a QR code, and how to check it."""
    _require_district(request.user)
    seal = get_object_or_404(Seal, pk=pk)
    heads = heads_of(seal.heads)
    villages = {
        village.pk: village
        for village in Village.objects.filter(pk__in=[chain for chain, _s, _h in heads]).only(
            "pk", "code", "name"
        )
    }
    rows = [
        {
            "chain": chain,
            "village": villages.get(chain),
            "is_district": chain == DISTRICT_CHAIN,
            "seq": seq,
            "entry_hash": entry_hash,
        }
        for chain, seq, entry_hash in heads
    ]
    previous = Seal.objects.filter(id__lt=seal.pk).order_by("-id").only("pk").first()
    root = seal.merkle_root
    context = {
        "seal": seal,
        "heads": rows,
        "previous": previous,
        "qr": _qr_svg(root),
        # The time exactly as the seal hash covers it, for whoever recomputes that hash.
        "hashed_at": seal_fields(seal)["created_at"],
        # Groups of eight read aloud and compare by eye more easily than 64 characters.
        "root_groups": [root[i : i + 8] for i in range(0, len(root), 8)],
    }
    return render(request, "audit/seal.html", context)
