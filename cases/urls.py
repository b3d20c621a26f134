"""The staff pages of cases: the queue, a case's page and its actions (by case number)."""

from django.urls import path

from cases import views_cases as views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("<str:number>/", views.case_detail, name="detail"),
    path("<str:number>/transition/", views.case_transition, name="transition"),
    path("<str:number>/assign/", views.case_assign, name="assign"),
    path("<str:number>/unassign/", views.case_unassign, name="unassign"),
    path("<str:number>/subjects/", views.case_add_subject, name="add_subject"),
    path("<str:number>/sanctions/", views.case_sanction, name="sanction"),
    path("<str:number>/appeals/", views.case_appeal_file, name="appeal_file"),
    path("<str:number>/appeals/accept/", views.case_appeal_accept, name="appeal_accept"),
    path("<str:number>/appeals/decide/", views.case_appeal_decide, name="appeal_decide"),
    path("<str:number>/deadlines/extend/", views.case_extend, name="extend"),
]
