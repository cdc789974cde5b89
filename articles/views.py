from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import F, Prefetch, Q, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_cache_control, patch_vary_headers

from subscriptions.meter import meter_record_read
from subscriptions.paywall import Reader, build_reader, decide_article_access

from .body import render_body
from .models import Article, Author, Byline, Section, Tag
from .structured_data import article_json_ld

HOME_LATEST = 7
HOME_PER_SECTION = 3


def home(request):
    """Show the latest articles, then the newest few of each section."""
    published = Article.objects.published()
    latest = list(published.for_listing().latest_first()[:HOME_LATEST])
    ranked = (
        published.exclude(pk__in=[article.pk for article in latest])
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
    return render(
        request,
        "articles/home.html",
        {"lead": latest[:1], "latest": latest[1:], "by_section": by_section.items()},
    )


def _listing(request, queryset, template, context):
    paginator = Paginator(
        queryset.published().for_listing().latest_first(), settings.NEWSROOM_ARTICLES_PER_PAGE
    )
    page = paginator.get_page(request.GET.get("page"))
    return render(request, template, {**context, "page": page, "articles": page.object_list})


def section_detail(request, slug):
    section = get_object_or_404(Section, slug=slug)
    return _listing(
        request,
        Article.objects.in_section(section),
        "articles/section_detail.html",
        {"section": section},
    )


def author_detail(request, slug):
    author = get_object_or_404(Author.objects.select_related("photo"), slug=slug)
    return _listing(
        request,
        Article.objects.by_author(author),
        "articles/author_detail.html",
        {"author": author},
    )


def tag_detail(request, slug):
    tag = get_object_or_404(Tag, slug=slug)
    return _listing(request, Article.objects.tagged(tag), "articles/tag_detail.html", {"tag": tag})


def search(request):
    """Find articles by their public text: headline, standfirst and body before the cut."""
    query = request.GET.get("q", "").strip()[:200]
    articles = Article.objects.search(query) if query else Article.objects.none()
    return _listing(request, articles, "articles/search.html", {"query": query})


def _article_for_request(request, slug):
    """Return the article at `slug`; drafts and scheduled ones exist for staff only."""
    article = get_object_or_404(
        Article.objects.select_related("section", "lead_image").prefetch_related(
            Prefetch("bylines", queryset=Byline.objects.select_related("author")),
            "tags",
            "lead_image__renditions",
        ),
        slug=slug,
    )
    if not article.is_live and not request.user.is_staff:
        raise Http404("No article here.")
    return article


def _related_articles(article, *, limit):
    """Return other live articles from the same section or with a tag in common."""
    tag_ids = [tag.pk for tag in article.tags.all()]
    matches = Q(section=article.section_id) if article.section_id else Q()
    if tag_ids:
        matches |= Q(tags__in=tag_ids)
    if not matches:
        return []
    return list(
        Article.objects.published()
        .filter(matches)
        .exclude(pk=article.pk)
        .distinct()
        .for_listing()
        .latest_first()[:limit]
    )


def article_detail(request, slug):
    """Show an article: in full to an entitled reader, otherwise the preview and the prompt."""
    article = _article_for_request(request, slug)
    reader = build_reader(request)
    decision = decide_article_access(article=article, reader=reader)
    decision = meter_record_read(request=request, reader=reader, article=article, decision=decision)
    public_decision = decision
    if reader.is_staff:
        # Staff read in full, and may look at the page exactly as the public gets it.
        public_decision = decide_article_access(article=article, reader=Reader())
        if request.GET.get("as") == "public":
            decision = public_decision
    body = render_body(article)
    related = _related_articles(article, limit=3)
    more = list(
        Article.objects.published()
        .exclude(pk__in=[article.pk, *(other.pk for other in related)])
        .for_listing()
        .latest_first()[:4]
    )
    response = render(
        request,
        "articles/article_detail.html",
        {
            "article": article,
            "decision": decision,
            "public_decision": public_decision,
            "reader_is_staff": reader.is_staff,
            # A reader who may not read on is never handed the text beyond the cut.
            "preview": body.preview,
            "rest": body.rest if decision.granted else None,
            "json_ld": article_json_ld(
                article=article, request=request, full_text=decision.granted
            ),
            "related": related,
            "more": more,
        },
    )
    if decision.granted and article.access != Article.Access.FREE:
        patch_cache_control(response, private=True)
    patch_vary_headers(response, ["Cookie"])
    return response
