"""Settings of the application served by the database fault tests: the project's own (DEBUG
off, persistent connections with health checks, the 503 handler), except that static files are
not collected first: the pages only name them, and nobody fetches them."""

from oversight.settings import *  # noqa: F403
from oversight.settings import STORAGES as _STORAGES

STORAGES = {
    **_STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
