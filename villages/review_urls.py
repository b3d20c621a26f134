"""A review's page, its edit form, its workflow actions and its attachments."""

from django.urls import path

from villages import views_reviews as views

app_name = "reviews"

urlpatterns = [
    path("<int:pk>/", views.review_detail, name="detail"),
    path("<int:pk>/edit/", views.review_edit, name="edit"),
    path("<int:pk>/submit/", views.review_submit, name="submit"),
    path("<int:pk>/sign/", views.review_sign, name="sign"),
    path("<int:pk>/respond/", views.review_respond, name="respond"),
    path("<int:pk>/accept/", views.review_accept, name="accept"),
    path("<int:pk>/escalate/", views.review_escalate, name="escalate"),
    path("<int:pk>/attachments/", views.review_attach, name="attach"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        views.review_attachment,
        name="attachment",
    ),
]
