"""URLs of the statistics pages (/stats/)."""

from django.urls import URLPattern, URLResolver, path

from audit import views_stats

app_name = "stats"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_stats.stats_page, name="page"),
    path("csv/<slug:chart>/", views_stats.stats_csv, name="csv"),
]
