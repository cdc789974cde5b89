"""Django's stock page: what `django-admin startproject` makes, serving the same fixed string.

The ceiling the site's own pages are compared with (`run.py --stock`): the project template's
apps and seven middleware, SQLite, the same gunicorn. Nothing of the site is loaded.
"""

from pathlib import Path

from django.http import HttpResponse
from django.urls import path

BASE_DIR = Path(__file__).resolve().parent.parent / "var" / "bench"
SECRET_KEY = "stock-page-benchmark-only"  # noqa: S105 (serves a fixed string on loopback)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "benchmarks.stock"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "stock.sqlite3"}
}
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def fixed(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/fixed/", fixed)]
