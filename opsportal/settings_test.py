"""Settings for the test suite: the production settings with test-only defaults.

Environment variables set by the caller (DATABASE_URL for the PostgreSQL run)
still win; only missing values are filled in.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-" + "x" * 60)
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
# The suite sends many requests per user within a minute; tests of throttling set their own rates.
for _scope in ("ANON", "USER", "ALERTS", "TOKEN_FAILURES"):
    os.environ.setdefault(f"OPSPORTAL_THROTTLE_{_scope}", "100000/min")
# Any zone (docs/testing-any-date.md): the faketime pass runs the suite with Django's TIME_ZONE set to
# the same random zone as the process's TZ, so code reading the deployment's local day is tried there too.
if os.environ.get("OPSPORTAL_TIME_ZONE"):
    os.environ["TIME_ZONE"] = os.environ["OPSPORTAL_TIME_ZONE"]
os.environ.setdefault("OPSPORTAL_VAR_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test"))

from opsportal.settings import *  # noqa: E402,F403
from opsportal.settings import OPSPORTAL, Q_CLUSTER, VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = VAR_DIR / "media"
# The manifest storage needs `collectstatic` first; tests render pages without it.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests seed demo data with DEBUG off (production settings); the command's refusal is tested on its own.
OPSPORTAL = {**OPSPORTAL, "SEED_DEMO_WITHOUT_FORCE": True}
# Tasks run inline in tests so their effects can be asserted directly.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
