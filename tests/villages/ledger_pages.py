"""Helpers of the ledger page tests: a voucher, a PDF, what a refused request must not add."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.history import history_row_count
from villages import services
from villages.models import Review, ReviewAttachment, ReviewSignature

DAY = datetime.date(2026, 11, 2)
VOUCHER: dict[str, Any] = {
    "title": "购买办公用品", "occurred_on": DAY, "voucher_no": "记-2026-101",
    "amount": Decimal("1200.00"), "payee": "东丰文具店", "purpose": "办公用品",
    "invoice_type": "invoice",
}  # fmt: skip
# The same voucher as the create form posts it.
FORM = {
    "title": "购买办公用品", "occurred_on": "2026-11-02", "voucher_no": "记-2026-101",
    "amount": "1200.00", "payee": "东丰文具店", "purpose": "办公用品", "invoice_type": "invoice",
}  # fmt: skip
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def spending(actor: Any, village: Any, **overrides: Any) -> Review:
    """A spending review recorded in `village` by `actor` (a seated member), as a draft."""
    return services.review_create(
        actor=actor, village=village, kind="spending", fields={**VOUCHER, **overrides}
    )


def submitted(actor: Any, village: Any, **overrides: Any) -> Review:
    return services.review_submit(actor=actor, review=spending(actor, village, **overrides))


def pdf(name: str = "voucher.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def ledger_writes() -> tuple[int, ...]:
    """What a refused request must leave as it was: reviews, signatures, files, history rows."""
    return (
        Review.objects.count(),
        ReviewSignature.objects.count(),
        ReviewAttachment.objects.count(),
        history_row_count(),
    )
