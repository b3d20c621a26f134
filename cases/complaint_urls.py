"""The staff pages of complaints: the intake list and form, a complaint's page and its actions."""

from django.urls import path

from cases import views_complaints as views

app_name = "complaints"

urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("new/", views.complaint_create, name="create"),
    path("<int:pk>/", views.complaint_detail, name="detail"),
    path("<int:pk>/register/", views.complaint_register, name="register"),
    path("<int:pk>/not-accept/", views.complaint_not_accept, name="not_accept"),
    path("<int:pk>/transfer/", views.complaint_transfer, name="transfer"),
    path("<int:pk>/duplicate/", views.complaint_duplicate, name="duplicate"),
    path("<int:pk>/open-case/", views.complaint_open_case, name="open_case"),
    path("<int:pk>/message/", views.complaint_message, name="message"),
    path("<int:pk>/close/", views.complaint_close, name="close"),
    path("<int:pk>/reveal/", views.complaint_reveal, name="reveal"),
]
