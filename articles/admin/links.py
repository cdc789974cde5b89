"""Links to other articles chosen by headline, in the body's text editor.

The text editor's link window asks for an address; as the journalist types a headline there,
`static/newsroom/body_text.js` asks `links/?q=` for the live articles whose headlines have the
words, and offers them (headline shown, address filled in).
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.urls import path

from articles.models import Article

LINK_SUGGESTIONS = 10


class ArticleLinksAdminMixin:
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        links = path(
            "links/",
            self.admin_site.admin_view(self.links_view),
            name="{}_{}_links".format(*info),
        )
        return [links, *super().get_urls()]  # before the admin's catch-all "<object_id>/"

    def links_view(self, request):
        """The live articles whose headlines have every word of `q`, newest first, as JSON."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        words = request.GET.get("q", "")[:200].split()
        if not words:
            return JsonResponse({"results": []})
        articles = Article.objects.published()
        for word in words:
            articles = articles.filter(headline__icontains=word)
        found = articles.order_by("-published_at", "-pk").only("headline", "slug", "published_at")
        found = found[:LINK_SUGGESTIONS]
        site = settings.NEWSROOM_SITE_URL.rstrip("/")
        return JsonResponse(
            {
                "results": [
                    {
                        "headline": article.headline,
                        "url": site + article.get_absolute_url(),
                        "published": f"{article.published_at:%-d %B %Y}",
                    }
                    for article in found
                ]
            }
        )
