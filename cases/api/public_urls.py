"""The public API, at /api/public/: no account needed (DOMAIN.md §5)."""

from django.urls import URLPattern, URLResolver, path

from cases.api import public

app_name = "public_api"
urlpatterns: list[URLPattern | URLResolver] = [
    path("reports/", public.ReportView.as_view(), name="report"),
    path("reports/status/", public.StatusView.as_view(), name="status"),
    path("reports/answer/", public.AnswerView.as_view(), name="answer"),
    path("reports/rate/", public.RateView.as_view(), name="rate"),
]
