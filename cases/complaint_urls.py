"""URLs: filled in by the cases issue."""

from django.urls import URLPattern, URLResolver

app_name = "complaints"
urlpatterns: list[URLPattern | URLResolver] = []
