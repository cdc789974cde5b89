import dataclasses
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.paginator import Paginator
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from articles.corrections import corrections_published
from articles.models import Article, Author, Section, Tag
from articles.previews import preview_link_lookup
from articles.search import SEARCH_CANDIDATES, search_matches
from foundation.events import UNKNOWN_REFERER
from foundation.rates import address_over_rate
from subscriptions.access import Access
from subscriptions.forms import GiftForm
from subscriptions.funnel import article_shown, gift_opened, page_is_counted_by_the_page
from subscriptions.gifts import (
    SESSION_GIFT_KEY,
    GiftError,
    gift_create,
    gift_lookup,
    gift_path,
    gift_record_open,
    gift_revoke,
    gift_sender_name,
    gifts_left_this_month,
    may_gift,
)
from subscriptions.models import GiftLink
from subscriptions.paywall import (
    AccessReason,
    ReaderPersona,
    build_reader,
    decide_article_access,
    meter_record_read,
    persona_reader,
    request_is_a_readers,
    request_may_consume_reads,
)
from subscriptions.readers import fetch_page_and_reader

from .pages import (
    article_head,
    article_page,
    article_page_as_saved,
    listing_part,
    page_keys,
    page_number,
    page_of,
    page_variant,
    paginated,
    reader_page_variant,
    search_part,
)
from .sitemaps import sitemap_index_xml

HOME_LATEST = 7
HOME_PER_SECTION = 3
# The front page ranks sections among this many newest articles: a bounded, indexed slice
# (status, -published_at), whatever the size of the archive.
HOME_CANDIDATES = 400


def _home_content():
    published = Article.objects.published()
    latest = list(published.for_listing().latest_first()[:HOME_LATEST])
    newest = published.latest_first().values("pk")[:HOME_CANDIDATES]
    ranked = (
        published.filter(pk__in=newest)
        .exclude(pk__in=[article.pk for article in latest])
        .filter(section__isnull=False)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("section"),
                order_by=[F("published_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank__lte=HOME_PER_SECTION)
        .for_listing()
        .order_by("section__order", "section__name", "rank")
    )
    by_section = {}
    for article in ranked:
        by_section.setdefault(article.section, []).append(article)
    context = {
        "lead": latest[:1],
        "latest": latest[1:],
        "by_section": by_section.items(),
        "publication_name": settings.NEWSROOM_PUBLICATION_NAME,
    }
    return render_to_string("articles/includes/home_content.html", context)


def home(request):
    """Show the latest articles, then the newest few of each section."""
    content = listing_part(request, "home", _home_content)
    return render(request, "articles/home.html", {"content": content})


def _article_list(articles, *, number, show_section):
    """Return page `number` of `articles`, newest first, rendered as cards.

    The page counts nothing ("Page 2", not "Page 2 of 9"): a section's, author's or tag's
    count grows with the archive (`pages.page_of`).
    """
    articles = articles.published().for_listing().latest_first()
    page = page_of(articles, number, per_page=settings.NEWSROOM_ARTICLES_PER_PAGE)
    context = {"articles": page.object_list, "page": page, "show_section": show_section}
    return render_to_string("articles/includes/article_list.html", context)


def _listing_page(request, *, kind, subject_of, articles_of, show_section=True):
    """Render the page of one section, author or tag, its list rendered once for everyone."""
    slug = request.resolver_match.kwargs["slug"]
    number = page_number(request)

    def build():
        subject = subject_of(slug)
        listing = _article_list(articles_of(subject), number=number, show_section=show_section)
        return subject, listing

    subject, listing = listing_part(request, f"{kind}:{slug}:{number}", build)
    return render(request, f"articles/{kind}_detail.html", {kind: subject, "listing": listing})


def section_detail(request, slug):
    return _listing_page(
        request,
        kind="section",
        subject_of=lambda slug: get_object_or_404(Section, slug=slug),
        articles_of=Article.objects.in_section,
        show_section=False,
    )


def author_detail(request, slug):
    return _listing_page(
        request,
        kind="author",
        subject_of=lambda slug: get_object_or_404(
            Author.objects.select_related("photo").prefetch_related("photo__renditions"),
            slug=slug,
        ),
        articles_of=Article.objects.by_author,
    )


def tag_detail(request, slug):
    return _listing_page(
        request,
        kind="tag",
        subject_of=lambda slug: get_object_or_404(Tag, slug=slug),
        articles_of=Article.objects.tagged,
    )


def _search_results(query, number):
    """Return how many articles match `query` (at most `SEARCH_CANDIDATES`) and page `number`
    of them rendered as cards, best first."""
    published = Article.objects.published()
    paginator = Paginator(
        search_matches(published, query),
        settings.NEWSROOM_ARTICLES_PER_PAGE,
        allow_empty_first_page=True,
    )
    page = paginated(paginator, number)
    ids = page.object_list
    cards = {article.pk: article for article in published.filter(pk__in=ids).for_listing()}
    context = {
        "articles": [cards[pk] for pk in ids if pk in cards],
        "page": page,
        "query_string": urlencode({"q": query}),
    }
    html = render_to_string("articles/includes/search_results.html", context)
    return paginator.count, html


def search(request):
    """Find articles by their public text: headline, standfirst and body before the cut."""
    query = request.GET.get("q", "").strip()[:200]
    if query and address_over_rate(
        request, name="search", limit=settings.NEWSROOM_SEARCHES_PER_MINUTE, per_seconds=60
    ):
        context = {"query": query, "listing": "", "count": 0, "rate_limited": True}
        response = render(request, "articles/search.html", context, status=429)
        response["Retry-After"] = "60"
        return response
    number = page_number(request)
    count, listing = (0, "")
    if query:
        count, listing = search_part(request, query, number, lambda: _search_results(query, number))
    context = {
        "query": query,
        "listing": listing,
        "count": count,
        # Only the newest matches are ranked (articles.search): say so when there were more.
        "more_than": count >= SEARCH_CANDIDATES,
    }
    return render(request, "articles/search.html", context)


def sitemap_index(request):
    """The index of sitemaps, made once per listing generation (articles.site.sitemaps: what it
    reads does not grow with the archive)."""

    # ":2": what is kept is the XML alone now, where it was the XML and Django's headers.
    content = listing_part(request, "sitemap-index:2", lambda: sitemap_index_xml(request))
    response = HttpResponse(content, content_type="application/xml")
    response["X-Robots-Tag"] = "noindex, noodp, noarchive"  # as Django's sitemap views say
    return response


def article_detail(request, slug):
    """Show an article: in full to an entitled reader, otherwise the preview and the prompt."""
    # The page's keys, the session and the reader's in one round trip to the cache.
    fetched = fetch_page_and_reader(request, page_keys(slug))
    page = article_page(request, slug, fetched=fetched)
    reader = build_reader(request, fetched=fetched)
    return _article_response(request, page, reader=reader)


DETAIL = "articles/article_detail.html"


def _page_is_the_same_for_every_such_reader(request, reader):
    """Whether the page depends on nothing but the decision: an anonymous reader without a
    session or flash messages (whose masthead and prompt are the same for all), on the
    article's own address (the log-in link returns to it)."""
    return (
        reader.is_anonymous
        and not request.GET
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
    )


def _article_context(request, page, *, reader, decision, gift=None, preview=None) -> dict:
    """Return what the article page shows `reader` given `decision`: the one context of the
    article template, for its own address, a gift link and every preview."""
    article = page.head
    public_decision = decision
    if reader.is_staff:
        # Staff read in full; the page marks what a reader without access would not get.
        without_access = persona_reader(persona=ReaderPersona.OUT_OF_READS)
        public_decision = decide_article_access(article=article, reader=without_access)
    return {
        "article": article,
        "decision": decision,
        "public_decision": public_decision,
        "reader_is_staff": reader.is_staff,
        "personas": list(ReaderPersona),
        "parts": page.public_parts(),
        # A reader who may not read on is never handed the text beyond the cut.
        "rest": page.rest if decision.granted else None,
        "may_gift": gift is None and preview is None and _may_gift(article, reader=reader),
        "gift_link_days": settings.NEWSROOM_GIFT_LINK_DAYS,
        "preview": preview,
    }


def _may_gift(article, *, reader) -> bool:
    """Whether the page offers `reader` to gift the article (no query: it is in the Reader)."""
    return (
        article.is_live
        and article.access != Access.FREE
        and (reader.is_staff or reader.has_entitling_subscription)
    )


def _page_is_the_same_for_every_such_member(request, reader):
    """Whether the page depends on nothing but the decision and the CSRF token: a logged-in
    reader who is not staff, without flash messages, on the article's own address."""
    return (
        not reader.is_anonymous
        and not reader.is_staff
        and not request.GET
        and not len(messages.get_messages(request))
    )


def _article_response(request, page, *, reader, gift=None):
    """Decide, count a metered read if one was granted, and render the article page.

    The one rendering of an article for both its own address and a gift link (`gift`, whose
    reader `build_reader` already made from it: it never consumes a read).
    """
    article = page.head  # the decision's inputs, as the database last committed them
    if not article.is_live and not request.user.is_staff:
        raise Http404("No article here.")
    if reader.is_staff and gift is None and request.GET.get("as") == "public":
        # The old "as the public sees it" address: the preview as a reader out of free reads.
        return redirect("admin:articles_article_preview", article.pk, ReaderPersona.OUT_OF_READS)
    decision = decide_article_access(article=article, reader=reader)
    decision = meter_record_read(request=request, reader=reader, article=article, decision=decision)
    # A page a shared cache may keep (asked for without cookies) is counted by the page itself.
    counted_by_the_page = (
        gift is None
        and not request.COOKIES
        and page_is_counted_by_the_page(article=article, decision=decision)
    )
    if gift is None and not counted_by_the_page:
        article_shown(
            request=request,
            reader=reader,
            article=article,
            section_id=article.section_id,
            decision=decision,
        )

    def context() -> dict:  # only when the page is rendered: most requests find it ready
        shown = _article_context(request, page, reader=reader, decision=decision, gift=gift)
        shown["counted_by_the_page"] = counted_by_the_page and article.is_live
        return shown | (_gift_context(gift, reader=reader, decision=decision) if gift else {})

    if gift is None and _page_is_the_same_for_every_such_reader(request, reader):
        # An anonymous reader's page is one of a few variants (preview, full with "2 of 3 left",
        # the meter used up...): render each once per version of what it shows.
        variant = (article.is_live, decision.granted, decision.reason, decision.reads_left)
        variant += (counted_by_the_page,)
        html = page_variant(
            request, page, variant, lambda: render_to_string(DETAIL, context(), request)
        )
        response = HttpResponse(html)
    elif gift is None and _page_is_the_same_for_every_such_member(request, reader):
        # A logged-in reader's page differs from another's with the same decision only by the
        # CSRF token: rendered once per variant and version too, the token put in per request.
        variant = (article.is_live, decision.granted, decision.reason, decision.reads_left)
        variant += (decision.reads_limit, decision.reader_is_registered)
        variant += (_may_gift(article, reader=reader),)
        html = reader_page_variant(
            request,
            page,
            variant,
            lambda token: render_to_string(DETAIL, context() | {"csrf_token": token}, request),
        )
        response = HttpResponse(html)
    else:
        response = render(request, DETAIL, context())
    if (
        (decision.granted and article.access != Access.FREE)
        or not article.access.may_be_shared
        or gift is not None
    ):
        # Text beyond a cut is for this reader alone; and a metered article is never shared,
        # not even as a crawler's preview: a CDN would show it to a human owed a free read.
        # A gift page is about one gift, never for a shared cache.
        patch_cache_control(response, private=True)
    return response  # Vary: Cookie, as every page (newsroom.middleware.ResponsePolicyMiddleware)


# A transparent 1x1 GIF: what a page without JavaScript shows to say it was seen.
SEEN_PIXEL = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c000000000100010000020144003b"
)
# Far more than any reader reads: a bound on one address's "seen" counts.
SEEN_PER_MINUTE = 120


@csrf_exempt  # says only that a page was seen; changes nothing a forged request could use
@require_http_methods(["GET", "POST"])
@never_cache
def article_seen(request, slug):
    """Count the article page a shared cache may have served (`page_is_counted_by_the_page`):
    the page's script posts here when it is shown (with where its reader came from), or, without
    JavaScript, its image asks for this. Counted as the server would have counted the page for
    this reader; an address over the rate, staff, crawlers and prefetches are not counted."""
    response = (
        HttpResponse(status=204)
        if request.method == "POST"
        else HttpResponse(SEEN_PIXEL, content_type="image/gif")
    )
    if address_over_rate(request, name="seen", limit=SEEN_PER_MINUTE, per_seconds=60):
        return response
    head = article_head(slug)
    if head is None or not head.is_live:
        return response
    if not request_is_a_readers(request):
        return response
    # The page's reader, as the page was asked for (a GET): the beacon's POST spends nothing.
    reader = dataclasses.replace(build_reader(request), may_consume_reads=True)
    decision = decide_article_access(article=head, reader=reader)
    if not page_is_counted_by_the_page(article=head, decision=decision):
        return response  # the server counted this reader's page as it sent it
    came_from = {"referer": UNKNOWN_REFERER}
    if request.method == "POST":
        came_from = {
            name: request.POST.get(field, "")[:2000]
            for name, field in (
                ("referer", "referrer"),
                ("utm_medium", "utm_medium"),
                ("utm_source", "utm_source"),
            )
        }
    article_shown(
        request=request,
        reader=reader,
        article=head,
        section_id=head.section_id,
        decision=decision,
        came_from=came_from,
    )
    return response


# Previews -----------------------------------------------------------------------------------


def article_preview_response(request, page, *, reader, preview):
    """Render `page` exactly as `reader` would get it, marked as a preview (`preview`: what
    the marker says). The decision is the paywall's; no meter is counted, no cache keeps the
    page and no search engine indexes it."""
    decision = decide_article_access(article=page.head, reader=reader)
    context = _article_context(request, page, reader=reader, decision=decision, preview=preview)
    if reader.is_anonymous:
        context["user"] = AnonymousUser()  # the masthead as that reader sees it
    response = render(request, DETAIL, context)
    patch_cache_control(response, private=True, no_store=True)
    patch_vary_headers(response, ["Cookie"])
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"  # a share link's address is its key
    return response


def article_preview_link(request, token):
    """Show the unpublished article a share link is for, in full, to whoever has the link.

    An unknown, expired or revoked link is a 404; once the article is live the link leads to
    its page. Never counted on a meter, and it needs no session.
    """
    link = preview_link_lookup(token=token)
    if link is None:
        raise Http404("No preview here.")
    page = article_page_as_saved(request, link.article_id)
    if page.head.is_live:
        return redirect(reverse("article", kwargs={"slug": page.head.slug}))
    preview = {
        "title": "Preview, not published",
        "shared": True,
        "expires_at": link.expires_at,
    }
    reader = persona_reader(persona=ReaderPersona.SUBSCRIBER)
    return article_preview_response(request, page, reader=reader, preview=preview)


def corrections(request):
    """List the corrections and clarifications of live articles, newest first."""
    number = page_number(request)

    def build():
        per_page = settings.NEWSROOM_ARTICLES_PER_PAGE
        page = page_of(corrections_published(), number, per_page=per_page)
        return render_to_string("articles/includes/correction_list.html", {"page": page})

    listing = listing_part(request, f"corrections:{number}", build)
    return render(request, "articles/corrections.html", {"listing": listing})


# Gift links ---------------------------------------------------------------------------------


def _gift_context(gift, *, reader, decision):
    if gift.revoked_at is not None:
        state = "revoked"
    elif not gift.is_valid(at=timezone.now()):
        state = "expired"
    else:
        state = "valid"
    return {
        "gift": gift,
        "gift_state": state,
        "gift_sender_name": gift_sender_name(gift),
        # The invitation after the article, for a reader the gift let in.
        "gift_invites": decision.reason == AccessReason.GIFT,
    }


def article_gift(request, token):
    """Show the article a gift link is for: in full while the gift is valid, to anyone.

    Never counted on the reader's meter and never shared by a cache; an expired or withdrawn
    gift shows what the reader would get anyway (the preview), with a note saying why.
    """
    gift = gift_lookup(token=token)
    slug = (
        gift and Article.objects.filter(pk=gift.article_id).values_list("slug", flat=True).first()
    )
    if not slug:
        raise Http404("No gift here.")
    page = article_page(request, slug)
    if not page.head.is_live:
        raise Http404("No gift here.")  # unpublished since: gone for everyone, gifts too
    reader = build_reader(request, gift=gift)
    response = _article_response(request, page, reader=reader, gift=gift)
    counts = request_may_consume_reads(request) and reader.user_id != gift.sender_id
    if counts and gift.article_id in reader.gifted_article_ids:
        gift_record_open(gift=gift)
        gift_opened(request=request, reader=reader, gift=gift)
        if reader.is_anonymous:
            # A sign-up that follows is attributed to this gift.
            request.session[SESSION_GIFT_KEY] = gift.pk
            patch_cache_control(response, private=True)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"  # the address is the key: never pass it on
    return response


def _gift_refusal(request, *, head, message, status):
    context = {"article": head, "refusal": message}
    return render(request, "articles/gift_form.html", context, status=status)


@login_required
@never_cache
def article_gift_create(request, slug):
    """Let a subscriber make a gift link for the article at `slug` (GET: the form; POST)."""
    head = article_page(request, slug).head
    if not head.is_live:
        raise Http404("No article here.")
    if not may_gift(user=request.user):
        message = "Gifting articles is for subscribers."
        return _gift_refusal(request, head=head, message=message, status=403)
    form = GiftForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            gift = gift_create(
                sender=request.user,
                article=head,
                recipient_email=form.cleaned_data["recipient_email"],
            )
        except GiftError as error:
            return _gift_refusal(request, head=head, message=str(error), status=403)
        sent = form.cleaned_data["recipient_email"]
        messages.success(
            request,
            f"Your gift link is ready{f' and on its way to {sent}' if sent else ''}: "
            "anyone with it can read the article in full.",
        )
        return redirect(f"{reverse('gifts_sent')}?new={gift.pk}")
    context = {
        "article": head,
        "form": form,
        "gifts_left": gifts_left_this_month(user=request.user),
    }
    status = 400 if form.errors else 200
    return render(request, "articles/gift_form.html", context, status=status)


@login_required
@never_cache
def gifts_sent(request):
    """List the gift links the reader sent, newest first, with their articles' headlines."""
    gifts = list(GiftLink.objects.filter(sender=request.user))
    articles = Article.objects.filter(pk__in={gift.article_id for gift in gifts})
    found = {row["pk"]: row for row in articles.values("pk", "headline", "slug")}
    now = timezone.now()
    new = request.GET.get("new", "")
    rows = [
        {
            "gift": gift,
            "article": found.get(gift.article_id),
            "url": request.build_absolute_uri(gift_path(gift)),
            "state": "withdrawn"
            if gift.revoked_at
            else ("active" if gift.is_valid(at=now) else "expired"),
            "is_new": new == str(gift.pk),
        }
        for gift in gifts
    ]
    context = {
        "rows": rows,
        "gifts_left": gifts_left_this_month(user=request.user, at=now),
        "gifts_per_month": settings.NEWSROOM_GIFTS_PER_MONTH,
        "may_gift": may_gift(user=request.user, at=now),
    }
    return render(request, "articles/gifts_sent.html", context)


@login_required
@require_POST
def gift_withdraw(request, pk):
    """Withdraw one of the reader's own gift links."""
    gift = get_object_or_404(GiftLink, pk=pk, sender=request.user)
    gift_revoke(gift=gift, by=request.user)
    messages.success(request, "The gift link is withdrawn: it now shows only the preview.")
    return redirect("gifts_sent")
