"""Settings for Liuguan.

Everything a deployment changes comes from the environment:
DATABASE_URL (default: SQLite in WAL mode under var/), LIUGUAN_SECRET_KEY, LIUGUAN_DEBUG,
LIUGUAN_ALLOWED_HOSTS. PostgreSQL is the production database.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LIUGUAN_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = os.environ.get("LIUGUAN_DEBUG", "0") == "1"
SECRET_KEY = os.environ.get("LIUGUAN_SECRET_KEY", "")
if not SECRET_KEY:
    # A per-installation key kept outside the repository, made on first start.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = os.environ.get("LIUGUAN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "liuguan.core",
    "liuguan.geo",
    "liuguan.accounts",
    "liuguan.exchange",
    "liuguan.registry",
    "liuguan.collection",
    "liuguan.compliance",
    "liuguan.oversight",
    "liuguan.permits",
    "liuguan.outflow",
    "liuguan.grid",
    "liuguan.livelihood.schooling",
    "liuguan.livelihood.welfare",
    "liuguan.livelihood.legalaid",
    "liuguan.livelihood.associations",
    "liuguan.portal",
    "liuguan.insight",
    "liuguan.linkage",
    "liuguan.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "liuguan.core.middleware.SecurityHeadersMiddleware",
    "liuguan.core.middleware.RefuseNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "liuguan.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "liuguan.core.middleware.DeclaredPermissionMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "liuguan.urls"
WSGI_APPLICATION = "liuguan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "liuguan" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "liuguan.core.context_processors.navigation",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'liuguan.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers and one writer work at once; IMMEDIATE takes the write lock at BEGIN so
        # two writers queue instead of failing half-way with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login throttling: five failures for one user name from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# Officers' second factor (TOTP; accounts/twofactor.py): asked of these roles once they enrolled an
# authenticator, and of all of them when LIUGUAN_REQUIRE_2FA is on (the production profile's default).
LIUGUAN_2FA_ROLES = (
    "station_officer",
    "street_officer",
    "county_officer",
    "city_officer",
    "province_admin",
    "police",
    "auditor",
)
LIUGUAN_REQUIRE_2FA = os.environ.get("LIUGUAN_REQUIRE_2FA", "0") == "1"
OTP_TOTP_ISSUER = "Liuguan"
OTP_TOTP_THROTTLE_FACTOR = 1

# Sessions end after 30 idle minutes and when the browser closes.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if os.environ.get("LIUGUAN_HTTPS", "0") == "1":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "liuguan" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "liuguan" / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Periodic work, enqueued by `manage.py run_scheduler` at these times (cron: minute hour day month weekday,
# Asia/Shanghai) and run by db_worker. Each task is idempotent.
LIUGUAN_SCHEDULE = {
    "detect_breaches": {"task": "liuguan.compliance.tasks.detect_breaches_task", "cron": "10 2 * * *"},
    "agreement_reminders": {"task": "liuguan.compliance.tasks.agreement_reminders_task", "cron": "20 2 * * *"},
    "recompute_tiers": {"task": "liuguan.compliance.tasks.recompute_tiers_task", "cron": "30 2 * * *"},
    "webhooks": {"task": "liuguan.exchange.tasks.webhooks_run_task", "cron": "* * * * *"},
    "bulletins_sweep": {"task": "liuguan.exchange.tasks_police.bulletins_sweep_task", "cron": "*/5 * * * *"},
    "quality_cells": {"task": "liuguan.oversight.tasks.cells_refresh_task", "cron": "*/5 * * * *"},
    "feedback_escalate": {"task": "liuguan.oversight.tasks.feedback_escalate_task", "cron": "15 * * * *"},
    "permits_refresh": {"task": "liuguan.permits.tasks.permits_refresh_task", "cron": "5 0 * * *"},
    "federation_outbox": {"task": "liuguan.outflow.tasks.outbox_send_task", "cron": "* * * * *"},
    "outflow_reconcile": {"task": "liuguan.outflow.tasks.reconcile_task", "cron": "40 2 * * *"},
    "grid_supervise": {"task": "liuguan.grid.tasks.supervise_task", "cron": "25 * * * *"},
    "grid_rules": {"task": "liuguan.grid.tasks.events_from_rules_task", "cron": "50 2 * * *"},
    "grid_joint_plans": {"task": "liuguan.grid.tasks.joint_plans_task", "cron": "55 2 * * *"},
    "legalaid_overdue": {"task": "liuguan.livelihood.legalaid.tasks.overdue_task", "cron": "35 0 * * *"},
    # Macro decision: the dashboards' cells follow the audit chain every minute and are counted afresh nightly.
    "insight_refresh": {"task": "liuguan.insight.tasks.rollup_refresh_task", "cron": "* * * * *"},
    "insight_rebuild": {"task": "liuguan.insight.tasks.rollup_rebuild_task", "cron": "10 3 * * *"},
    # Last month's reports for the province, prefectures and counties (on the 1st; other days it re-queues
    # only failed or lost ones: idempotent per area and month).
    "insight_reports": {"task": "liuguan.insight.tasks_reports.reports_schedule_task", "cron": "30 3 * * *"},
    # Entity resolution: a batch linkage run over every source of person records, filling the review queue.
    "linkage_nightly": {"task": "liuguan.linkage.tasks.linkage_nightly_task", "cron": "0 4 * * *"},
}
# Open data for departments: counts below k are withheld (k per area in insight.OpenDataThreshold, else this).
LIUGUAN_OPEN_DATA_K = int(os.environ.get("LIUGUAN_OPEN_DATA_K", "10"))
# Legal aid: working days a unit has to accept a referred request, and to handle an accepted one.
LEGALAID_ACCEPT_DAYS = 2
LEGALAID_HANDLE_DAYS = 20
# Grid management: supervision of overdue events and where Open311 reports with coordinates land.
LIUGUAN_GRID = {
    # A stage still overdue this many working days after its yellow card gets a red card to the level above.
    "red_after_days": 2,
    # The reporter is asked whether the problem is solved once the event closes; the link works this many days.
    "survey_days": 28,
    # A report with coordinates lands in the nearest grid centre no further than this (metres).
    "open311_radius_m": 2000,
}
# The migrant portal's sign-in codes: the demo writes them to VAR_DIR/sms.log; production sets
# LIUGUAN_SMS_BACKEND=liuguan.portal.sms.HttpGatewaySender and the gateway's URL and token.
LIUGUAN_SMS = {
    "backend": os.environ.get("LIUGUAN_SMS_BACKEND", "liuguan.portal.sms.LogSender"),
    **(
        {
            "url": os.environ.get("LIUGUAN_SMS_URL", ""),
            "token": os.environ.get("LIUGUAN_SMS_TOKEN", ""),
            "sign": os.environ.get("LIUGUAN_SMS_SIGN", "流管"),
        }
        if os.environ.get("LIUGUAN_SMS_BACKEND", "").endswith("HttpGatewaySender")
        else {}
    ),
}
LIUGUAN_PORTAL = {
    "code_ttl_seconds": 300,
    "max_attempts": 5,
    "phone_interval_seconds": 60,
    "phone_per_hour": 5,
    "address_per_hour": 20,
    # A migrant's session ends after two idle hours.
    "session_idle_seconds": 2 * 3600,
}
# Data quality (municipal management): defaults an officer may override per query or per round.
LIUGUAN_QUALITY = {
    # An open stay nobody has confirmed in the field for this many months counts as stale.
    "stale_months": 6,
    # Records drawn per collector in a spot-check round, and the days the verifiers have.
    "spot_check_sample": 5,
    "spot_check_days": 14,
    # Working days a collector has to fix or dispute a feedback task; then the station officer, then the street.
    "feedback_days": 5,
    "escalate_after_days": 3,
}

# Outflow population (origin side).
LIUGUAN_OUTFLOW = {
    # Whereabouts not known (no report, confirmation or departure notice) for this many months: flagged.
    "unknown_months": int(os.environ.get("LIUGUAN_OUTFLOW_UNKNOWN_MONTHS", "6")),
    # An outflow record no destination has confirmed this many days after it was reported: a task.
    "confirm_days": 60,
    # Working days the origin office has for a reconciliation task.
    "task_days": 10,
}
# Federation between instances: this instance's identity and key; peers are configured in the database
# (manage.py federation_peer). The key file is made on first use, outside the repository.
LIUGUAN_FEDERATION = {
    "instance": os.environ.get("LIUGUAN_INSTANCE_ID", "CN-51"),
    "key_file": Path(os.environ.get("LIUGUAN_FEDERATION_KEY_FILE", VAR_DIR / "federation_ed25519.pem")),
    # An envelope sent longer ago (or further in the future) than this is refused as stale.
    "max_skew_seconds": 300,
    "timeout_seconds": float(os.environ.get("LIUGUAN_FEDERATION_TIMEOUT", "5")),
}

# Cryptography (liuguan/core/crypto.py; README "Cryptography"): the algorithms new data is hashed, signed and
# encrypted with (what is stored names its algorithm, so old data stays verifiable after a switch), and the
# data keys: ID and phone numbers are encrypted at rest (LIUGUAN_DATA_KEYS) with a blind index for lookups
# (LIUGUAN_INDEX_KEYS); each `version:base64,...`, the highest version current. Unset: VAR_DIR/data_keys.json.
LIUGUAN_HASH = os.environ.get("LIUGUAN_HASH", "sha256")  # or sm3
LIUGUAN_SIGNATURE = os.environ.get("LIUGUAN_SIGNATURE", "ed25519")  # or sm2
LIUGUAN_CIPHER = os.environ.get("LIUGUAN_CIPHER", "aes-256-gcm")  # or sm4-gcm
LIUGUAN_DATA_KEYS = os.environ.get("LIUGUAN_DATA_KEYS", "")
LIUGUAN_INDEX_KEYS = os.environ.get("LIUGUAN_INDEX_KEYS", "")
LIUGUAN_DATA_KEY_FILE = os.environ.get("LIUGUAN_DATA_KEY_FILE", "")

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LIUGUAN_LOG_LEVEL", "WARNING")},
}

# Which division the demo and the province overview treat as "this province".
# The address the public reaches this server at (printed in permits' QR codes); empty: the request's host.
LIUGUAN_PUBLIC_URL = os.environ.get("LIUGUAN_PUBLIC_URL", "")
LIUGUAN_PROVINCE_CODE = os.environ.get("LIUGUAN_PROVINCE_CODE", "51")
LIUGUAN_PROVINCE_NAME = _("Sichuan")

# The production profile (LIUGUAN_PROFILE=production; see deploy/README.md): refuse to start with what is fine
# for a demo and wrong for a province, and turn on what only makes sense behind TLS.
LIUGUAN_PROFILE = os.environ.get("LIUGUAN_PROFILE", "demo")
if LIUGUAN_PROFILE == "production":
    from django.core.exceptions import ImproperlyConfigured

    problems = []
    if DEBUG:
        problems.append("LIUGUAN_DEBUG must be 0")
    if not os.environ.get("LIUGUAN_SECRET_KEY"):
        problems.append("LIUGUAN_SECRET_KEY must be set (not the key file made for the demo)")
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL must name PostgreSQL")
    if not os.environ.get("LIUGUAN_ALLOWED_HOSTS"):
        problems.append("LIUGUAN_ALLOWED_HOSTS must name the public host")
    if not (LIUGUAN_DATA_KEYS and LIUGUAN_INDEX_KEYS):
        problems.append("LIUGUAN_DATA_KEYS and LIUGUAN_INDEX_KEYS must be set (not the key file made for the demo)")
    if problems:
        raise ImproperlyConfigured("production profile: " + "; ".join(problems))
    # TLS ends at the reverse proxy (deploy/nginx/liuguan.conf), which sets X-Forwarded-Proto and redirects
    # plain HTTP itself; the cookies never travel unencrypted and browsers remember to use HTTPS.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("LIUGUAN_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # The proxy redirects plain HTTP already; this catches a misrouted request. Health probes on the host
    # itself (127.0.0.1:8000/healthz) are answered as they are.
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    # Joining the browsers' HSTS preload list is the domain owner's decision, not the application's.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
    CSRF_TRUSTED_ORIGINS = [f"https://{host}" for host in ALLOWED_HOSTS if host and host != "*"]
    # Static files: hashed names and pre-compressed copies made by collectstatic; the proxy serves them from
    # STATIC_ROOT with a year's cache, WhiteNoise answers whatever still reaches the application.
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    WHITENOISE_USE_FINDERS = False
    LIUGUAN_REQUIRE_2FA = os.environ.get("LIUGUAN_REQUIRE_2FA", "1") == "1"
    LOGGING["root"]["level"] = os.environ.get("LIUGUAN_LOG_LEVEL", "INFO")
