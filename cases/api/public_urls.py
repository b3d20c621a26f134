"""URLs: filled in by the cases issue."""

from django.urls import URLPattern, URLResolver

app_name = "public_api"
urlpatterns: list[URLPattern | URLResolver] = []
