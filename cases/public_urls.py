"""The public pages, at /report/: no login (DOMAIN.md §5)."""

from django.urls import URLPattern, URLResolver, path

from cases import public_views

app_name = "report"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", public_views.report, name="new"),
    path("status/", public_views.status, name="status"),
]
