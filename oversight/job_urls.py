"""The periodic jobs page: /jobs/…"""

from django.urls import path

from oversight import views_jobs

app_name = "jobs"
urlpatterns = [
    path("", views_jobs.job_list, name="list"),
    path("<slug:job>/run/", views_jobs.job_run, name="run"),
]
