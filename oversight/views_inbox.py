"""The in-app inbox (/inbox/…): each signed-in user reads their own notifications, marks them
read, opens what they point to, and chooses which kinds also come by e-mail. It is their own
mail: every account has an inbox and no permission is needed; someone else's notification
looks missing (404)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from oversight import services_inbox
from oversight.context_processors import UnreadCount
from oversight.models import Notification, NotificationPreference
from oversight.notify import NotificationKind

PAGE_SIZE = 25
KIND_LABELS: dict[str, Any] = dict(NotificationKind.choices)


class EmailPreferencesForm(forms.Form):
    """One "send me an e-mail" checkbox per kind of notification."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in NotificationKind.choices:
            self.fields[kind] = forms.BooleanField(label=label, required=False)


def _own(request: HttpRequest) -> Any:
    """The signed-in user's notifications, newest first."""
    user: Any = request.user
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def _own_or_404(request: HttpRequest, pk: int) -> Notification:
    """One of the user's own notifications; anyone else's looks missing."""
    return get_object_or_404(_own(request), pk=pk)


def _labelled(notifications: list[Notification]) -> list[Notification]:
    """Give each notification the label of its kind (a kind no longer known shows its code)."""
    for notification in notifications:
        notification.kind_label = KIND_LABELS.get(notification.kind, notification.kind)  # type: ignore[attr-defined]
    return notifications


def _is_local_path(url: str) -> bool:
    """A path on this site ("/cases/…"), never another host ("//evil", "https://…", "/\\evil")."""
    return (
        url.startswith("/")
        and not url.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(url, allowed_hosts=None)
    )


def _back_to_list(request: HttpRequest) -> HttpResponse:
    """Back to the inbox page the form was sent from (its filter and page), else the inbox."""
    back = request.POST.get("next", "")
    if _is_local_path(back) and back.startswith(reverse("inbox:list")):
        return redirect(back)
    return redirect("inbox:list")


@login_required
@require_GET
@vary_on_headers("HX-Request")
def inbox(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first, all or only the unread ones, a page at a time;
    the same query count whatever their number."""
    unread_only = request.GET.get("unread") == "1"
    notifications = _own(request)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _labelled(list(page.object_list))
    context = {
        "page": page,
        "unread_only": unread_only,
        "query": "unread=1" if unread_only else "",
        "here": request.get_full_path(),
    }
    partial = request.htmx  # type: ignore[attr-defined]
    template = "oversight/partials/_inbox_list.html" if partial else "oversight/inbox.html"
    return render(request, template, context)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of my notifications read; htmx gets the item back (and the header's count)."""
    notification = services_inbox.notification_mark_read(
        actor=request.user, notification=_own_or_404(request, pk)
    )
    if request.htmx:  # type: ignore[attr-defined]
        context = {
            "n": _labelled([notification])[0],
            "here": request.POST.get("next", ""),
            "inbox_unread": UnreadCount(request.user),
            "oob_badge": True,
        }
        return render(request, "oversight/partials/_notification.html", context)
    return _back_to_list(request)


@login_required
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Open what a notification points to, marking it read. Only a path on this site is
    followed: anything else (another host) leads back to the inbox."""
    notification = services_inbox.notification_mark_read(
        actor=request.user, notification=_own_or_404(request, pk)
    )
    if notification.url and _is_local_path(notification.url):
        return redirect(notification.url)
    return redirect("inbox:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    """Mark all my notifications read."""
    count = services_inbox.notification_mark_all_read(actor=request.user)
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return _back_to_list(request)


@login_required
@require_http_methods(["GET", "POST"])
def inbox_settings(request: HttpRequest) -> HttpResponse:
    """Which kinds of notification also come by e-mail (all do unless turned off), and the
    address they go to."""
    user: Any = request.user
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "email"))
    initial = {kind: chosen.get(kind, True) for kind in NotificationKind.values}
    data = request.POST if request.method == "POST" else None
    form = EmailPreferencesForm(data, initial=initial)
    if form.is_valid():
        services_inbox.notification_preferences_save(actor=user, email=form.cleaned_data)
        messages.success(request, _("Your notification settings are saved."))
        return redirect("inbox:settings")
    context = {"form": form, "email": user.email}
    return render(request, "oversight/inbox_settings.html", context)
