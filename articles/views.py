from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control, patch_vary_headers

from accounts.throttling import address_over_rate
from subscriptions.access import Access
from subscriptions.paywall import Reader, build_reader, decide_article_access, meter_record_read

from .models import Article, Author, Section, Tag
from .pages import article_page, listing_part, page_number, paginated
from .search import search_articles

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


def _article_list(articles, *, number, show_section, ordered=False):
    """Return page `number` of `articles` rendered as cards (newest first unless `ordered`),
    and the paginator's page."""
    articles = articles.published().for_listing()
    paginator = Paginator(
        articles if ordered else articles.latest_first(),
        settings.NEWSROOM_ARTICLES_PER_PAGE,
        allow_empty_first_page=True,
    )
    page = paginated(paginator, number)
    context = {"articles": page.object_list, "page": page, "show_section": show_section}
    return render_to_string("articles/includes/article_list.html", context), page


def _listing_page(request, *, kind, subject_of, articles_of, show_section=True):
    """Render the page of one section, author or tag, its list rendered once for everyone."""
    slug = request.resolver_match.kwargs["slug"]
    number = page_number(request)

    def build():
        subject = subject_of(slug)
        listing, _page = _article_list(
            articles_of(subject), number=number, show_section=show_section
        )
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
    articles = (
        search_articles(Article.objects.published(), query) if query else Article.objects.none()
    )
    listing, page = _article_list(
        articles, number=page_number(request), show_section=True, ordered=True
    )
    context = {"query": query, "listing": listing if query else "", "count": page.paginator.count}
    return render(request, "articles/search.html", context)


def article_detail(request, slug):
    """Show an article: in full to an entitled reader, otherwise the preview and the prompt."""
    page = article_page(request, slug)
    article = page.head  # the decision's inputs, as the database last committed them
    if not article.is_live and not request.user.is_staff:
        raise Http404("No article here.")
    reader = build_reader(request)
    decision = decide_article_access(article=article, reader=reader)
    decision = meter_record_read(request=request, reader=reader, article=article, decision=decision)
    public_decision = decision
    if reader.is_staff:
        # Staff read in full, and may look at the page exactly as the public gets it.
        public_decision = decide_article_access(article=article, reader=Reader())
        if request.GET.get("as") == "public":
            decision = public_decision
    response = render(
        request,
        "articles/article_detail.html",
        {
            "article": article,
            "decision": decision,
            "public_decision": public_decision,
            "reader_is_staff": reader.is_staff,
            "parts": page.public_parts(),
            # A reader who may not read on is never handed the text beyond the cut.
            "rest": page.rest if decision.granted else None,
        },
    )
    if (decision.granted and article.access != Access.FREE) or not article.access.may_be_shared:
        # Text beyond a cut is for this reader alone; and a metered article is never shared,
        # not even as a crawler's preview: a CDN would show it to a human owed a free read.
        patch_cache_control(response, private=True)
    patch_vary_headers(response, ["Cookie"])
    return response
