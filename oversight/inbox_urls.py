"""The in-app inbox: /inbox/…"""

from django.urls import path

from oversight import views_inbox

app_name = "inbox"
urlpatterns = [
    path("", views_inbox.inbox, name="list"),
    path("<int:pk>/read/", views_inbox.notification_read, name="read"),
    path("<int:pk>/open/", views_inbox.notification_open, name="open"),
    path("read-all/", views_inbox.notification_read_all, name="read_all"),
    path("settings/", views_inbox.inbox_settings, name="settings"),
]
