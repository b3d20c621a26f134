"""URLs of the audit API (/api/v1/audit/)."""

from django.urls import URLPattern, URLResolver, path

from audit.api import records, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("changes/", views.changes, name="audit-changes"),
    path(
        "records/<str:label>/<int:pk>/",
        records.RecordTimelineView.as_view(),
        name="audit-record",
    ),
]
