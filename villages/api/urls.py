from rest_framework.routers import SimpleRouter

from villages.api import reviews, views

router = SimpleRouter()
router.register("townships", views.TownshipViewSet, basename="township")
router.register("villages", views.VillageViewSet, basename="village")
router.register("cadres", views.CadreViewSet, basename="cadre")
router.register("reviews", reviews.ReviewViewSet, basename="review")

urlpatterns = router.urls
