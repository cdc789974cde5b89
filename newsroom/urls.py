from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from newsroom import email_webhooks, health, site_root

admin.site.site_header = settings.NEWSROOM_PUBLICATION_NAME
admin.site.site_title = "Newsroom"
admin.site.index_title = "Write and publish"

handler400 = "newsroom.errors.bad_request"
handler500 = "newsroom.errors.server_error"

urlpatterns = [
    # The readers' pages first: Django tries the patterns in order, and each one it misses
    # costs every page behind it (no two of these match the same address:
    # tests/newsroom/test_urls.py).
    path("", include("articles.site.urls")),
    path("robots.txt", site_root.robots_txt, name="robots_txt"),
    path("favicon.ico", site_root.favicon, name="favicon"),
    path("healthz", health.liveness, name="healthz"),
    path("readyz", health.readiness, name="readyz"),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("subscriptions.urls")),
    path("", include("newsletters.urls")),
    # The email provider's tracking and inbound webhooks (django-anymail), signed or behind
    # basic auth: /anymail/<provider>/tracking/ (README: "Newsletters").
    path("anymail/<path:endpoint>", email_webhooks.webhook, name="email_provider_webhook"),
]


def serve_upload(request, path):
    """Serve an uploaded file (development and demos; production serves them in front)."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


if settings.NEWSROOM_SERVE_UPLOADS:
    prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns += [re_path(rf"^{prefix}(?P<path>.*)$", serve_upload)]
