"""Settings for the test suite: production settings with fast hashing and plain HTTP."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# A fixed key for the tests only; production keys come from the environment.
os.environ.setdefault("OVERSIGHT_VAULT_KEY", "TN9JylZXgQ7InWex4eCRwSWK3XJvIsvIlCVM3-5yxXY=")

from oversight.settings import *  # noqa: F403
from oversight.settings import CACHES, REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests run tasks in-process even when Redis is there; tests of real workers opt in.
CELERY_TASK_ALWAYS_EAGER = True
if REDIS_URL:
    CACHES["default"]["KEY_PREFIX"] = f"oversight-test-{os.getpid()}"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
