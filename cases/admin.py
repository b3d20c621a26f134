"""The cases app in the Django admin: only the working-day calendar and the record of the
deadline sweeps.

Complaints, cases and above all the reporter vault (ReporterIdentity, SensitiveAccess) are
deliberately not registered: they are read through the restricted pages, never the admin.
Calendar entries are saved through `calendar_day_save` with the reason the administrator
typed; nothing is deleted.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from cases.models import CalendarDay, SweepRun
from cases.services.deadlines import calendar_day_save
from oversight.admin import HistoryAdmin
from villages.admin import ReasonForm


@admin.register(CalendarDay)
class CalendarDayAdmin(HistoryAdmin):
    """Public holidays and make-up working days the holiday library does not know yet."""

    form = ReasonForm
    fields = ["date", "is_working_day", "name", "change_reason"]
    list_display = ["date", "name", "is_working_day"]
    list_filter = ["is_working_day"]
    search_fields = ["name"]
    date_hierarchy = "date"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A day is corrected, never moved: another date is another entry.
        return ["date"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = calendar_day_save(
            actor=request.user,  # type: ignore[arg-type]
            date=obj.date,
            is_working_day=obj.is_working_day,
            name=obj.name,
            reason=form.cleaned_data["change_reason"],
        )
        # The admin logs and redirects with the form's object: make it the saved row.
        obj.pk = saved.pk


@admin.register(SweepRun)
class SweepRunAdmin(admin.ModelAdmin):
    """Each run of the deadline sweep, read-only: anyone responsible can see that it ran."""

    list_display = [
        "started_at",
        "finished_at",
        "checked",
        "due_soon",
        "overdue",
        "notified",
        "escalated",
    ]
    list_display_links = None
    date_hierarchy = "started_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
