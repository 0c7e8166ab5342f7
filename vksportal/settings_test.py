"""Test settings: instant simulated time, eager Celery (a test that needs a real worker turns it
off), fast password hashing. DATABASE_URL and REDIS_URL still switch database and broker."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("VKS_SIM_SPEED", "instant")
os.environ.setdefault("VKS_CELERY_EAGER", "1")

from vksportal.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
