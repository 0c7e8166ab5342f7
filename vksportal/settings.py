"""Settings, all from the environment (see .env.example). Safe defaults: DEBUG off, SQLite and a
filesystem Celery broker under .var/ so `make run` needs no server."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from vksportal.env import env_bool, env_int, env_speed, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VKS_VAR_DIR", str(BASE_DIR / ".var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite file, file cache and broker queue live here

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off")
    SECRET_KEY = "insecure-dev-only-key"
# Loopback and this machine's name: what the local HTTPS certificate covers (vksportal.pki).
_local_hosts = f"127.0.0.1,localhost,[::1],{socket.gethostname()}"
ALLOWED_HOSTS = [h for h in env_str("DJANGO_ALLOWED_HOSTS", _local_hosts).split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env_str("DJANGO_CSRF_TRUSTED_ORIGINS").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "drf_spectacular",
    "vksportal",
    "inventory",
    "workloads",
    "kubeapi",
    "vapi",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "vksportal.middleware.content_security_policy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "vksportal.middleware.refuse_malformed_requests",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "vksportal.middleware.vary_on_htmx",
    "vksportal.middleware.session_idle",
    "vksportal.middleware.database_busy",
]

ROOT_URLCONF = "vksportal.urls"
WSGI_APPLICATION = "vksportal.wsgi.application"
ASGI_APPLICATION = "vksportal.asgi.application"  # what `make run` serves (vksportal.serve)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["template_partials.templatetags.partials"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "vksportal.context_processors.client",
            ],
        },
    }
]

_default_db = f"sqlite:///{VAR_DIR / 'vksportal.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _default_db))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: wait for locks instead of failing, take the write lock
    # up front so two writers never deadlock on upgrade, and let readers run beside a writer.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Kept for later requests: a new connection reads the schema again (1 ms on the config-max
    # database). Web requests run on threads the ASGI handler keeps (vksportal.asgi), one
    # request at a time each, and connections are per thread, so each keeps its own.
    DATABASES["default"]["CONN_MAX_AGE"] = 600
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    # A pool per process hands connections from request to request and from thread to thread
    # (psycopg_pool): idle request threads (vksportal.asgi) and watches' reads hold none.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "pool": {
            "min_size": env_int("VKS_DB_POOL_MIN", 2),
            "max_size": env_int("VKS_DB_POOL_MAX", 20),
            "timeout": 10,  # seconds a request waits for a free connection, then a 500
            "max_idle": 300,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis down: misses, not errors (vksportal/cache.py); short timeouts so a hung
            # Redis costs a request at most a fraction of a second.
            "BACKEND": "vksportal.cache.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("VKS_CACHE_PREFIX", "vks"),
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    # File-based so the web process and the Celery worker see the same keys.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Sessions live in the database alone, so logins and pages keep working while Redis is down.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# The vSphere Client's idle timeout, 120 minutes (VKS-REFERENCE §7.3), kept by
# vksportal.middleware.session_idle, which writes a session's row at most once a "touch" interval
# and thereby keeps its expiry one interval past the idle time.
VKS_SESSION_IDLE_SECONDS = env_int("VKS_SESSION_IDLE_SECONDS", 120 * 60)
VKS_SESSION_TOUCH_SECONDS = 60
SESSION_COOKIE_AGE = VKS_SESSION_IDLE_SECONDS + VKS_SESSION_TOUCH_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True  # a browser session cookie, as the vSphere Client's
SESSION_COOKIE_HTTPONLY = True

# HTTPS, switched on by the environment for a production configuration (`manage.py check
# --deploy` is clean with all of them on; see .env.example). Off by default: `make run` serves
# plain HTTP beside HTTPS.
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
SECURE_SSL_HOST = env_str("DJANGO_SECURE_SSL_HOST") or None  # host:port to redirect to
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):  # TLS ends at a proxy that says so
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Sent on every response (vksportal.middleware.content_security_policy): scripts and style
# sheets from this origin only, no inline script, no eval (htmx runs with allowEval off); inline
# style attributes only (meters and progress bars set their width), never style elements.
VKS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inventory:home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = ["inventory.auth.SsoBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"  # collectstatic output, for deployments that want it
STATIC_ROOT.mkdir(exist_ok=True)
# Serve straight from the source folders: no collectstatic step for `make run`.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Celery: Redis when REDIS_URL is set, else a filesystem queue that needs no server.
if REDIS_URL:
    # kombu's Redis transport with a fix for a worker that loses Redis (vksportal/broker.py).
    CELERY_BROKER_URL = re.sub(r"^redis://", "vksredis://", REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_connect_timeout": 2,
        "socket_timeout": 10,
    }
else:
    _queue = VAR_DIR / "broker"
    # kombu neither creates these nor resolves its control folder (fanout bindings) anywhere but
    # the working directory unless told; every process that imports settings makes them.
    for _folder in ("broker", "broker-done", "broker-control"):
        (VAR_DIR / _folder).mkdir(exist_ok=True)
    # kombu's filesystem transport with atomic writes (vksportal/broker.py); the host is ignored.
    CELERY_BROKER_URL = "vksfs://localhost//"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "processed_folder": str(VAR_DIR / "broker-done"),
        "control_folder": str(VAR_DIR / "broker-control"),
        "store_processed": False,
        # The worker polls the folder; kombu's 1 s default makes a simulated 0.15 s power-off
        # take seconds in the UI. A listdir five times a second costs nothing.
        "polling_interval": 0.2,
    }
# One broker, several stacks (a dev server beside the test suite's worker): each consumes only
# its own queue, so none runs another's task ids against the wrong database.
CELERY_TASK_DEFAULT_QUEUE = env_str("VKS_CELERY_QUEUE", "celery")
CELERY_TASK_ALWAYS_EAGER = env_bool("VKS_CELERY_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
# Late acks: a worker killed mid-task leaves the message for another; steps are idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# Broker down: a worker or beat started meanwhile waits for it and a worker that loses it
# reconnects, for as long as it takes (never exits). A web request that cannot publish gives up
# after a short try (vksportal.celery.Task): the desired state is committed, and beat's resync
# enqueues it once the broker is back.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# How often beat re-enqueues overdue work (lost messages, dead workers, a broker outage).
VKS_RESYNC_SECONDS = env_int("VKS_RESYNC_SECONDS", 15)
CELERY_BEAT_SCHEDULE = {
    "resync-unfinished-tasks": {
        "task": "inventory.tasks.tasks_resync_task",
        "schedule": float(VKS_RESYNC_SECONDS),
    },
    "resync-supervisors": {
        "task": "workloads.tasks.supervisors_resync_task",
        "schedule": float(VKS_RESYNC_SECONDS),
    },
    # The Kubernetes API's change log keeps 15 minutes (at most 100k rows) of watch history.
    "prune-resource-changes": {"task": "kubeapi.tasks.changes_prune_task", "schedule": 60.0},
}

# Simulator. Durations in the reference facts are divided by VKS_SIM_SPEED; tests use `instant`.
VKS_SIM_SPEED = env_speed("VKS_SIM_SPEED", 20.0)
VKS_ADMIN_PASSWORD = env_str("VKS_ADMIN_PASSWORD", "VMware1!VMware1!")
# The demo platform administrator and developers (SSO users of the demo estate).
VKS_DEMO_PASSWORD = env_str("VKS_DEMO_PASSWORD", "VMware1!")
VKS_PAGE_SIZE = env_int("VKS_PAGE_SIZE", 50)
# The Kubernetes version a new Supervisor's control plane reports (VKS-REFERENCE §3.2).
VKS_SUPERVISOR_K8S_VERSION = env_str("VKS_SUPERVISOR_K8S_VERSION", "v1.32.7+vmware.5-fips")
# Kubernetes releases a Supervisor offers (workloads.releases): minors from this one up to its own
# Kubernetes minor plus VKS_KUBERNETES_MINORS_AHEAD are compatible; older and newer ones are not.
VKS_KUBERNETES_MIN_MINOR = env_int("VKS_KUBERNETES_MIN_MINOR", 26)
VKS_KUBERNETES_MINORS_AHEAD = env_int("VKS_KUBERNETES_MINORS_AHEAD", 1)
# Boot disk of a VKS node VM, in GiB: what the VM provisions and a namespace's storage counts.
VKS_NODE_DISK_GIB = env_int("VKS_NODE_DISK_GIB", 20)
# A limit of this simulator, not of the product: nodes per VKS node pool (every node is a VM row
# and a reconcile step), so a typo such as 1500 replicas does not flood the inventory.
VKS_MAX_NODES_PER_POOL = env_int("VKS_MAX_NODES_PER_POOL", 150)
VKS_TREE_PAGE_SIZE = env_int("VKS_TREE_PAGE_SIZE", 200)

# The REST front door (/api/...) is vapi/'s, shaped like the vSphere Automation API: bare JSON,
# vAPI error bodies ({"error_type", "messages"}), sessions from POST /api/session sent back in
# the `vmware-api-session-id` header. Browser cookie sessions work too (CSRF on for writes).
# DRF serves only the OpenAPI document (drf-spectacular's view, which vapi.openapi.merge fills
# from the operations' declarations); the API itself is vapi/'s.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "URL_FORMAT_OVERRIDE": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "VKS Portal API",
    "DESCRIPTION": (
        "A vSphere Automation API-compatible subset: sessions, Supervisors, vSphere Namespaces "
        "and VM classes. Create a session with POST /api/session (HTTP basic auth) and send "
        "its token in the vmware-api-session-id header. The Supervisor's Kubernetes API "
        "(/api/v1, /apis) describes itself at /openapi/v3."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The vAPI registry's REST routes (vapi/openapi.py), described from their declarations.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "vapi.openapi.merge",
    ],
}
# An API session ends after this many seconds without a call, as vCenter's 30-minute idle timeout.
VKS_API_SESSION_IDLE_SECONDS = env_int("VKS_API_SESSION_IDLE_SECONDS", 30 * 60)
# The vsphere.local lockout policy (inventory.lockout): this many failed logins within the interval
# lock an account for the unlock time (0: until an administrator unlocks it); 0 failures: off.
VKS_SSO_LOCKOUT_MAX_FAILURES = env_int("VKS_SSO_LOCKOUT_MAX_FAILURES", 5)
VKS_SSO_LOCKOUT_INTERVAL_SECONDS = env_int("VKS_SSO_LOCKOUT_INTERVAL_SECONDS", 180)
VKS_SSO_LOCKOUT_UNLOCK_SECONDS = env_int("VKS_SSO_LOCKOUT_UNLOCK_SECONDS", 300)
# Where this application's HTTPS endpoint is (kubeapi.endpoints): kubeconfigs and `/wcp/login`
# point kubectl at it. The port is the one `make run` serves HTTPS on (it exports HTTPS_PORT to
# the web processes); the host, for links made outside a request, is VKS_HTTPS_HOST.
VKS_HTTPS_PORT = env_int("HTTPS_PORT", 8443)
VKS_HTTPS_HOST = env_str("VKS_HTTPS_HOST", "127.0.0.1")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "WARNING")},
}
