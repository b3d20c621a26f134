"""URLs of the audit pages (/audit/)."""

from django.urls import URLPattern, URLResolver, path

from audit import views_access, views_exports, views_feed, views_integrity, views_records

app_name = "audit"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_feed.feed, name="feed"),
    path("records/<str:label>/<int:pk>/", views_records.record, name="record"),
    path("villages/<str:code>/as-of/", views_records.village_as_of, name="village_as_of"),
    path("exports/", views_exports.export_list, name="exports"),
    path("exports/<int:pk>/", views_exports.export_detail, name="export"),
    path("exports/<int:pk>/download/", views_exports.export_download, name="export_download"),
    path("access/", views_access.access_log, name="access"),
    path("integrity/", views_integrity.integrity, name="integrity"),
    path("integrity/verify/", views_integrity.integrity_verify, name="integrity_verify"),
    path("seals/<int:pk>/", views_integrity.seal_detail, name="seal"),
]
