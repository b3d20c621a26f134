"""Permission-matrix entries of the inbox (/inbox/…).

The inbox is each account's own mail: everyone signed in may use theirs (the outsider too) and
no permission is needed. A notification that is not yours, or does not exist, looks missing
(404) to everyone; visitors are sent to log in."""

from __future__ import annotations

from tests.matrix_base import SIGNED_IN, Case, case

NO_SUCH = 999999

INBOX_MATRIX: dict[str, list[Case]] = {
    "inbox/": [
        case("get", "/inbox/", SIGNED_IN),
        case("get", "/inbox/?unread=1", SIGNED_IN),
    ],
    "inbox/<int:pk>/read/": [case("post", f"/inbox/{NO_SUCH}/read/", set())],
    "inbox/<int:pk>/open/": [case("get", f"/inbox/{NO_SUCH}/open/", set())],
    "inbox/read-all/": [case("post", "/inbox/read-all/", SIGNED_IN, ok=302)],
    "inbox/settings/": [
        case("get", "/inbox/settings/", SIGNED_IN),
        case("post", "/inbox/settings/", SIGNED_IN, ok=302, data={"case_assigned": "on"}),
    ],
}
