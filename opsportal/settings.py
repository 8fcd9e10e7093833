"""OpsPortal settings. Everything environment-specific comes from the
environment; docs/configuration.md lists every variable."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from opsportal.envconfig import database_from_url, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("OPSPORTAL_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)

DEV_SECRET_KEY = "django-insecure-opsportal-development-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY to a long random value, or DEBUG=1 for local development."
        )
    SECRET_KEY = DEV_SECRET_KEY
elif not DEBUG and (SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("SECRET_KEY must be a random value of at least 50 characters when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "opsportal.apps.OpsPortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "opsportal.apps.OpsPortalConfig",
    "opsportal.access.apps.AccessConfig",
    "slos",
    "incidents",
    "retros",
    "knowledgebase",
    "capacity",
    "oncall",
    "dependencies",
    "experience",
]

MIDDLEWARE = [
    # First: every response carries X-Request-ID and every log line the request id.
    "opsportal.observability.middleware.RequestIdMiddleware",
    # Probes and /metrics answer before the host check and the HTTPS redirect (pod IP, plain HTTP).
    "opsportal.observability.middleware.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files with compressed, hashed names straight from the web process (no nginx needed).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "opsportal.middleware.RejectNulQueryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "opsportal.urls"
WSGI_APPLICATION = "opsportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "opsportal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": database_from_url(env_str("DATABASE_URL", "sqlite:///var/opsportal.sqlite3"), BASE_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# On: organisation groups give non-members their group's role in every project. Off: nothing.
OPSPORTAL_ORG_BASELINE = env_bool("OPSPORTAL_ORG_BASELINE", False)
# Hosts outbound requests (webhooks, Prometheus pulls) may reach: names, .suffixes, CIDRs (opsportal/outbound.py).
OPSPORTAL_OUTBOUND_ALLOW = env_list("OPSPORTAL_OUTBOUND_ALLOW", [])

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing directory before collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # `collectstatic` writes hashed names plus gzip/brotli copies; whitenoise serves them with far-future caching.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploaded evidence lives in MEDIA_ROOT and is never served as files: MEDIA_URL is the
# authenticated download view (opsportal.downloads), which sends it as an attachment.
MEDIA_URL = "/evidence/files/"
MEDIA_ROOT = VAR_DIR / "media"
# Evidence attachments are audit material: cap the size of the file itself (checked on upload) and
# of request bodies without files.
MAX_UPLOAD_BYTES = env_int("OPSPORTAL_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/kb/"

# --- Redis (optional): broker for django-q2 and shared cache -------------
REDIS_URL = env_str("OPSPORTAL_REDIS_URL", "")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "opsportal.cache.OpsPortalRedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background work (django-q2) ------------------------------------------
# ORM broker by default so a newcomer needs no server; Redis when configured so
# workers can run on many hosts. A task may run `timeout` seconds; a task not
# acknowledged within `retry` seconds is handed out again, so timeout < retry.
Q_CLUSTER = {
    "name": env_str("OPSPORTAL_Q_NAME", "opsportal"),
    "workers": env_int("OPSPORTAL_Q_WORKERS", 2),
    "timeout": env_int("OPSPORTAL_Q_TIMEOUT", 120),
    "retry": env_int("OPSPORTAL_Q_RETRY", 300),
    "max_attempts": 3,
    "catch_up": False,
    # Keep every result: the daily opsportal.prune_task_results deletes old successes. A positive
    # limit makes django-q2 lock and read the stored successes on every task (opsportal/task_results.py).
    "save_limit": 0,
    "queue_limit": 50,
    "label": "Background tasks",
    "poll": 1,
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
if Q_CLUSTER["timeout"] >= Q_CLUSTER["retry"]:
    raise ImproperlyConfigured("OPSPORTAL_Q_TIMEOUT must be below OPSPORTAL_Q_RETRY")

# --- API -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "opsportal.api.authentication.TokenOrBearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Per-project roles and row scoping for every view (opsportal/access, docs/access.md).
    "DEFAULT_PERMISSION_CLASSES": ["opsportal.access.drf.ProjectRolePermissions"],
    "DEFAULT_PARSER_CLASSES": [
        "opsportal.api.parsers.SafeJSONParser",
        "opsportal.api.parsers.SafeFormParser",
        "opsportal.api.parsers.SafeMultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "opsportal.access.drf.ProjectScopeFilter",
        "opsportal.api.filters.ListFilterBackend",
    ],
    "DEFAULT_PAGINATION_CLASS": "opsportal.api.pagination.StandardCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "opsportal.api.errors.exception_handler",
    # Throttles (opsportal.api.throttling; docs/security.md): a 429 with Retry-After past the rate.
    "DEFAULT_THROTTLE_CLASSES": ["opsportal.api.throttling.AnonThrottle", "opsportal.api.throttling.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("OPSPORTAL_THROTTLE_ANON", "60/min"),
        "user": env_str("OPSPORTAL_THROTTLE_USER", "600/min"),
        # Per alert integration on the Alertmanager webhook: an alert storm fits; Alertmanager retries a 429.
        "alerts": env_str("OPSPORTAL_THROTTLE_ALERTS", "1200/min"),
        # Failed API or integration token attempts per client address.
        "token_failures": env_str("OPSPORTAL_THROTTLE_TOKEN_FAILURES", "20/hour"),
    },
    # Proxies in front of the app that append to X-Forwarded-For (the client address for throttles).
    "NUM_PROXIES": env_int("OPSPORTAL_NUM_PROXIES", 0) or None,
}

# --- Login brute force (django-axes; docs/security.md) ----------------------
# After AXES_FAILURE_LIMIT failed logins a username, and separately a client
# address, is locked for AXES_COOLOFF_TIME; a superuser unlocks early in the
# admin (Axes > Access attempts: delete the row) or with `manage.py axes_reset`.
INSTALLED_APPS += ["axes", "knox"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last, as axes requires
# Axes first (refuses locked-out logins); then passwords, with permissions of project models from
# project memberships (ProjectRoleBackend extends ModelBackend; opsportal/access/rules.py).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "opsportal.access.backend.ProjectRoleBackend"]
AXES_FAILURE_LIMIT = env_int("OPSPORTAL_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("OPSPORTAL_LOGIN_LOCKOUT_HOURS", 1) or None  # 0: locked until unlocked
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = env_int("OPSPORTAL_NUM_PROXIES", 0) or None

# --- API tokens (django-rest-knox; docs/security.md) -------------------------
# Stored as digests, several per user, named, optionally expiring (create_api_token --expires-days).
KNOX_TOKEN_MODEL = "opsportal.ApiToken"
REST_KNOX = {"TOKEN_TTL": None, "AUTH_HEADER_PREFIX": "Token", "AUTO_REFRESH": False}
SPECTACULAR_SETTINGS = {
    "TITLE": "OpsPortal API",
    "DESCRIPTION": "SLOs, incidents, postmortems, action items, retrospectives, runbooks and phase evidence.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI is served from the installed sidecar package: nothing downloads at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Create operations link to the operations on what they created (opsportal/api/links.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "opsportal.api.links.add_create_links",
    ],
    # issue 4 (incidents): several models have a `status`/`severity`/`source`; name their enums.
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.models.incidents.IncidentStatus",
        "IncidentSeverityEnum": "incidents.models.incidents.Severity",
        "IncidentSourceEnum": "incidents.models.incidents.IncidentSource",
        "AlertStatusEnum": "incidents.models.alerts.AlertStatus",
        # One name per choice set shared by several serializers (drf-spectacular warns otherwise).
        "ApprovalDecisionEnum": "opsportal.models.approvals.ApprovalDecision",
        "PostmortemDecisionEnum": ["approve", "request_changes"],
        "ValidationResultEnum": "opsportal.models.validation.ValidationResult",
        "GateResultEnum": ["PASS", "FAIL", "NO_DATA"],
        "ArticleKindEnum": "knowledgebase.models.articles.ArticleKind",
        "ArticleStatusEnum": "knowledgebase.models.articles.ArticleStatus",
        "SLOStatusEnum": "slos.models.SLOStatus",
        "SLOAlertSeverityEnum": "slos.models.Severity",
        "PostmortemStatusEnum": "incidents.models.postmortems.PostmortemStatus",
        "ActionItemStatusEnum": "incidents.models.action_items.ActionItemStatus",
    },
}

# --- Email -----------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "opsportal@localhost")
# A hung SMTP server must not hold a worker: give up on the connection after this many seconds.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security (production) -------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("OPSPORTAL_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Health probes come over plain HTTP from the orchestrator (they are answered before this anyway).
SECURE_REDIRECT_EXEMPT = [r"^healthz(/|$)", r"^metrics$"]
SILENCED_SYSTEM_CHECKS = env_list("OPSPORTAL_SILENCED_CHECKS", [])

# --- OpsPortal -------------------------------------------------------------
# Absolute base URL used in emails, webhooks and exported rules (links back to the portal).
# Raw SLI measurements older than this many days are pruned once rolled up (history reads the rollups).
OPSPORTAL_SLI_RAW_RETENTION_DAYS = env_int("OPSPORTAL_SLI_RAW_RETENTION_DAYS", 35)
OPSPORTAL_BASE_URL = env_str("OPSPORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Ed25519 private key (PEM, or base64 of the 32 raw bytes) that signs evidence exports (docs/evidence.md).
OPSPORTAL_EVIDENCE_SIGNING_KEY = env_str("OPSPORTAL_EVIDENCE_SIGNING_KEY", "")

ALERT_INTAKE = env_str("OPSPORTAL_ALERT_INTAKE", "sync").strip().lower()
if ALERT_INTAKE not in {"sync", "queued"}:
    raise ImproperlyConfigured(f"OPSPORTAL_ALERT_INTAKE must be sync or queued, got {ALERT_INTAKE!r}")

OPSPORTAL = {
    # Successful task results (admin: Successful tasks) are deleted after this many days; failures stay.
    "TASK_RESULTS_KEEP_DAYS": env_int("OPSPORTAL_TASK_RESULTS_DAYS", 7),
    # A worker is "up" for /healthz when its heartbeat is at most this old.
    "WORKER_HEARTBEAT_MAX_AGE_SECONDS": env_int("OPSPORTAL_WORKER_MAX_AGE", 180),
    "DEFAULT_PHASE": "phase6",
    # Retro facilitators are reminded this many hours before the retro.
    "RETRO_REMINDER_HOURS": env_int("OPSPORTAL_RETRO_REMINDER_HOURS", 24),
    # After downtime, at most this many missed review periods per cadence are created.
    "REVIEW_BACKFILL_PERIODS": env_int("OPSPORTAL_REVIEW_BACKFILL_PERIODS", 3),
    # seed_demo creates a superuser with a known password: with DEBUG off it needs --force.
    "SEED_DEMO_WITHOUT_FORCE": DEBUG,
    # /metrics: a bearer token, or client addresses (IPs or networks) allowed without one.
    "METRICS_TOKEN": env_str("OPSPORTAL_METRICS_TOKEN", ""),
    "METRICS_ALLOW": env_list("OPSPORTAL_METRICS_ALLOW", []),
    # Evidence attachments: largest file, and the extensions / content types accepted.
    "MAX_UPLOAD_BYTES": MAX_UPLOAD_BYTES,
    "UPLOAD_EXTENSIONS": env_list(
        "OPSPORTAL_UPLOAD_EXTENSIONS",
        ["pdf", "png", "jpg", "jpeg", "gif", "txt", "csv", "json", "md", "log", "zip"],
    ),
    # Email outbox: attempts before a message is dead-lettered.
    "EMAIL_MAX_ATTEMPTS": env_int("OPSPORTAL_EMAIL_MAX_ATTEMPTS", 5),
    # ... and the first retry delay (doubling after each failure).
    "EMAIL_RETRY_BASE_SECONDS": env_int("OPSPORTAL_EMAIL_RETRY_BASE_SECONDS", 60),
    # Chat webhook channel of the same outbox: attempts, and the first retry delay (doubling).
    "WEBHOOK_MAX_ATTEMPTS": env_int("OPSPORTAL_WEBHOOK_MAX_ATTEMPTS", 5),
    "WEBHOOK_RETRY_BASE_SECONDS": env_int("OPSPORTAL_WEBHOOK_RETRY_BASE_SECONDS", 60),
    # Alertmanager webhook caps (docs/configuration.md): alerts per notification (413 above), and
    # UTF-8 bytes of one labels/annotations map, names plus values (400 naming the field above).
    "WEBHOOK_MAX_ALERTS": env_int("OPSPORTAL_WEBHOOK_MAX_ALERTS", 10000),
    "WEBHOOK_MAX_LABEL_BYTES": env_int("OPSPORTAL_WEBHOOK_MAX_LABEL_BYTES", 65536),
    # Alertmanager webhook: "sync" applies a notification inside the request and answers with what it
    # did; "queued" stores it, answers 202 and a worker applies it (bin/run-prod's default: an alert
    # storm then costs the web processes one insert per notification). docs/alerts.md.
    "ALERT_INTAKE": ALERT_INTAKE,
    "ALERT_INTAKE_MAX_ATTEMPTS": env_int("OPSPORTAL_ALERT_INTAKE_MAX_ATTEMPTS", 5),
    "ALERT_INTAKE_RETRY_BASE_SECONDS": env_int("OPSPORTAL_ALERT_INTAKE_RETRY_BASE_SECONDS", 10),
}

# One JSON object per line (time, level, logger, message, request_id, task fields) for the log
# pipeline; LOG_FORMAT=text for a readable laptop console (the default under DEBUG).
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json").strip().lower()
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "opsportal.observability.logging.ContextFilter"}},
    "formatters": {
        "json": {"()": "opsportal.observability.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s%(task_label)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6 default; silences the transition warning
