"""Numbers people quote on the phone: DF-2019-0001 for cases, XF-2019-00001 for complaints."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from cases.models import NumberSequence

FORMATS = {"DF": "{prefix}-{year}-{n:04d}", "XF": "{prefix}-{year}-{n:05d}"}


@transaction.atomic
def next_number(prefix: str, year: int) -> str:
    """The next number of a prefix in a year, from a locked counter row: concurrent writers
    wait for each other and never get the same number."""
    row = NumberSequence.objects.select_for_update().filter(prefix=prefix, year=year).first()
    if row is None:
        try:
            with transaction.atomic():
                NumberSequence.objects.create(prefix=prefix, year=year)
        except IntegrityError:  # another writer created it first
            pass
        row = NumberSequence.objects.select_for_update().get(prefix=prefix, year=year)
    row.last += 1
    row.save(update_fields=["last"])
    return FORMATS[prefix].format(prefix=prefix, year=year, n=row.last)
