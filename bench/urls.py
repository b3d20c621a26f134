"""The project's URLs and `bench/bare-insert/`, the floor of the write path over HTTP."""

from django.urls import URLPattern, URLResolver, path

from bench import views
from oversight.urls import handler404, handler500  # noqa: F401 (the project's error pages)
from oversight.urls import urlpatterns as project_urlpatterns

urlpatterns: list[URLPattern | URLResolver] = [
    *project_urlpatterns,  # type: ignore[list-item]
    path("bench/bare-insert/", views.bare_insert, name="bench-bare-insert"),
]
