"""The list of open risk flags."""

from django.urls import path

from villages import views_reviews as views

app_name = "flags"

urlpatterns = [
    path("", views.flag_list, name="list"),
]
