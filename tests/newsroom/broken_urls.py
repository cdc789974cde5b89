"""A URLconf with a view that fails, for the error-page tests."""

from django.urls import path

from newsroom.urls import handler500, urlpatterns  # noqa: F401 - the site's own handler


def broken(request):
    raise RuntimeError("secret internals: password=hunter2")


urlpatterns = [path("broken/", broken), *urlpatterns]
