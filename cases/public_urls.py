"""URLs: filled in by the cases issue."""

from django.urls import URLPattern, URLResolver

app_name = "report"
urlpatterns: list[URLPattern | URLResolver] = []
