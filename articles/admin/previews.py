"""Previews of an article as each kind of reader, and share links for people without an
account (`articles.previews` makes and revokes them, checking permission again)."""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from articles.models import PreviewLink
from articles.previews import preview_link_create, preview_link_revoke
from articles.site import views
from articles.site.pages import article_page_as_saved
from subscriptions.paywall import ReaderPersona, persona_reader


class PreviewsAdminMixin:
    """The "Preview" under Publishing: the article as each reader gets it, and share links."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        own = [
            path(
                "<path:object_id>/preview/<str:persona>/",
                wrap(self.preview_view),
                name="{}_{}_preview".format(*info),
            ),
            path(
                "<path:object_id>/share-links/",
                wrap(self.share_links_view),
                name="{}_{}_share_links".format(*info),
            ),
            path(
                "<path:object_id>/share-links/<int:link_id>/revoke/",
                wrap(require_POST(self.share_link_revoke_view)),
                name="{}_{}_share_link_revoke".format(*info),
            ),
        ]
        return own + super().get_urls()  # before the admin's catch-all "<object_id>/"

    @admin.display(description="Preview")
    def preview_links(self, obj):
        if obj.pk is None:
            return "Save the article to preview it on the site."
        now = timezone.now()
        context = {
            "article": obj,
            "personas": [
                (persona.label, self.article_url("preview", obj.pk, persona))
                for persona in ReaderPersona
            ],
            "live_links": [link for link in obj.preview_links.all() if link.is_valid(at=now)],
            "share_links_url": self.article_url("share_links", obj.pk),
        }
        return render_to_string("admin/articles/article/includes/preview_links.html", context)

    def preview_view(self, request, object_id, persona):
        """Show the article (a draft, scheduled or live) exactly as `persona` would get it."""
        article = self.article_or_404(request, object_id)
        if not self.has_view_permission(request, article):
            raise PermissionDenied
        try:
            persona = ReaderPersona(persona)
        except ValueError:
            raise Http404("No such reader.") from None
        preview = {
            "title": f"Preview — as {persona.label}",
            "personas": [
                {
                    "label": other.label,
                    "url": self.article_url("preview", article.pk, other.value),
                    "current": other == persona,
                }
                for other in ReaderPersona
            ],
            "admin_url": self.article_url("change", article.pk),
            # Prepared changes are a draft of their own, but readers have the live article.
            "changes_to": article.draft_of.headline if article.draft_of_id else "",
        }
        page = article_page_as_saved(request, article.pk)
        reader = persona_reader(persona=persona)
        return views.article_preview_response(request, page, reader=reader, preview=preview)

    def share_links_view(self, request, object_id):
        """List the article's share links; POST makes a new one."""
        article = self.article_or_404(request, object_id)
        may_share = self.has_change_permission(request, article)
        if not (may_share or self.has_view_permission(request, article)):
            raise PermissionDenied
        if request.method == "POST":
            if not may_share:
                raise PermissionDenied("You may not share previews of this article.")
            link = preview_link_create(article=article, by=request.user)
            self.message_user(
                request,
                "A new share link is ready: anyone with it can read this article in full until "
                f"{timezone.localtime(link.expires_at):%d %B %Y, %H:%M}.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": article,
            "title": f"Share links for “{article}”",
            "links": self.share_link_rows(request, article),
            "may_share": may_share,
            "change_url": self.article_url("change", article.pk),
            "link_hours": settings.NEWSROOM_PREVIEW_LINK_HOURS,
        }
        return TemplateResponse(request, "admin/articles/article/share_links.html", context)

    def share_link_rows(self, request, article) -> list[dict]:
        """Return the article's share links as the share-link page lists them."""
        now = timezone.now()
        rows = []
        for link in PreviewLink.objects.filter(article=article).select_related("created_by"):
            if link.revoked_at is not None:
                state = "revoked"
            elif link.is_valid(at=now):
                state = "active"
            else:
                state = "expired"
            rows.append(
                {
                    "link": link,
                    "state": state,
                    "url": request.build_absolute_uri(link.get_absolute_url()),
                    "revoke_url": self.article_url("share_link_revoke", article.pk, link.pk),
                }
            )
        return rows

    def share_link_revoke_view(self, request, object_id, link_id):
        article = self.article_or_404(request, object_id)
        if not self.has_change_permission(request, article):
            raise PermissionDenied("You may not revoke share links of this article.")
        link = get_object_or_404(PreviewLink, pk=link_id, article=article)
        preview_link_revoke(link=link, by=request.user)
        self.message_user(request, "The share link is revoked: it now leads nowhere.")
        return HttpResponseRedirect(self.article_url("share_links", article.pk))
