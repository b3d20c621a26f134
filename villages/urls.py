from django.urls import path

from villages import views, views_reviews

app_name = "villages"

urlpatterns = [
    path("", views.village_list, name="list"),
    path("<str:code>/", views.village_detail, name="detail"),
    path("<str:code>/reviews/", views_reviews.review_list, name="review_list"),
    path("<str:code>/reviews/new/", views_reviews.review_kind, name="review_kind"),
    path("<str:code>/reviews/new/<str:kind>/", views_reviews.review_create, name="review_create"),
]
