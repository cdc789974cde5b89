"""The project's URLs, plus `/bench/fixed/`: the same Django stack returning a fixed string."""

from django.http import HttpResponse
from django.urls import include, path


def fixed(request):
    """The baseline: every middleware runs, the view does no work."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/fixed/", fixed, name="bench_fixed"),
    path("", include("newsroom.urls")),
]
