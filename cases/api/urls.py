"""The staff API of the cases app, under /api/v1/: complaints and cases."""

from rest_framework.routers import SimpleRouter

from cases.api import views

router = SimpleRouter()
router.register("complaints", views.ComplaintViewSet, basename="complaint")
router.register("cases", views.CaseViewSet, basename="case")

urlpatterns = router.urls
