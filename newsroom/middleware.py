from django.conf import settings
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers

CACHEABLE_STATUS = {200, 301, 404, 410}


class SharedCachePolicyMiddleware:
    """Let a shared cache (a CDN) keep only what is the same for every reader.

    A response that sets a cookie is never public. A request that carries cookies may be about
    a particular reader (a session, a meter), so its response is private. A view that set
    Cache-Control itself (text beyond a preview cut is private; the admin is never cached)
    keeps it. What remains, a cookieless GET answered without a cookie, may be kept for
    NEWSROOM_PUBLIC_CACHE_SECONDS: the front page, listings, feeds and paywalled previews,
    and never past the next scheduled change the page knows of (`request.page_changes_at`,
    set by `articles.site.pages`): an article goes live or comes down at its minute at the CDN too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ["Cookie"])
        if response.cookies:
            patch_cache_control(response, private=True)
        elif response.has_header("Cache-Control"):
            pass
        elif (
            request.method in ("GET", "HEAD")
            and not request.COOKIES
            and response.status_code in CACHEABLE_STATUS
        ):
            patch_cache_control(response, public=True, max_age=_shared_max_age(request))
        else:
            patch_cache_control(response, private=True)
        return response


def _shared_max_age(request) -> int:
    """Return how long a shared cache may keep this page: the setting, or less if the page
    changes by itself sooner (a scheduled article goes live or comes down)."""
    max_age = settings.NEWSROOM_PUBLIC_CACHE_SECONDS
    changes_at = getattr(request, "page_changes_at", None)
    if changes_at is not None:
        max_age = min(max_age, max(0, int((changes_at - timezone.now()).total_seconds())))
    return max_age
