"""The public village pages, at /public/villages/: no login (issue #7 §4)."""

from django.urls import URLPattern, URLResolver, path

from villages import views_public

app_name = "public_villages"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_public.village_list, name="list"),
    path("<str:code>/", views_public.village_page, name="detail"),
]
