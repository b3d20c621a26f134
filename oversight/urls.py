"""URLs of Oversight. Every route here has an entry in tests/test_permission_matrix.py."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from oversight import api, health, views

admin.site.site_header = "Oversight"
admin.site.site_title = "Oversight"

api_v1: list[URLPattern | URLResolver] = [
    path("auth/token/", api.TokenView.as_view(), name="token"),
    path("me/", api.me, name="me"),
    path("", include("villages.api.urls")),
    path("", include("cases.api.urls")),
    path("audit/", include("audit.api.urls")),
    path("stats/", include("audit.api_stats")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("inbox/", include("oversight.inbox_urls")),
    path("jobs/", include("oversight.job_urls")),
    path("villages/", include("villages.urls")),
    path("reviews/", include("villages.review_urls")),
    path("flags/", include("villages.flag_urls")),
    path("complaints/", include("cases.complaint_urls")),
    path("cases/", include("cases.urls")),
    path("audit/", include("audit.urls")),
    path("stats/", include("audit.stats_urls")),
    # Public reporting: no login (DOMAIN.md §5).
    path("report/", include("cases.public_urls")),
    path("api/public/", include("cases.api.public_urls")),
    path("public/villages/", include("villages.public_urls")),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its script as a file: the docs page needs no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

# A database that does not answer is a 503 that says so (JSON under /api/), not a bare 500.
handler500 = "oversight.faults.server_error"
# Under /api/ an address that names no route is the API's JSON 404, not the HTML page.
handler404 = "oversight.api.page_not_found"
