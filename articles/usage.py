"""Where articles and authors use a picture, for the picture's page (`media.usage`)."""

from django.db.models import Exists, F, Func, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from media.usage import Use

from .models import Article, Author, ImageBlock


def picture_uses(image) -> list[Use]:
    """Return the articles that show `image` (as their lead or in their body) and the authors
    whose photo it is."""
    in_bodies = ImageBlock.objects.filter(image=image).values("parent_id")
    articles = (
        Article.objects.filter(Q(lead_image=image) | Q(pk__in=in_bodies))
        .only("headline", "status", "published_at", "unpublish_at")
        .order_by("-published_at", "-pk")
    )
    uses = [
        Use(
            kind="article",
            label=article.headline,
            url=reverse("admin:articles_article_change", args=[article.pk]),
            public=article.is_live or article.is_scheduled,
        )
        for article in articles
    ]
    uses += [
        Use(
            kind="author",
            label=author.name,
            url=reverse("admin:articles_author_change", args=[author.pk]),
            public=True,
        )
        for author in Author.objects.filter(photo=image).only("name")
    ]
    return uses


def pictures_used() -> Q:
    """The condition on pictures that an article (lead or body) or an author shows them."""
    return (
        Exists(Article.objects.filter(lead_image=OuterRef("pk")))
        | Exists(ImageBlock.objects.filter(image=OuterRef("pk")))
        | Exists(Author.objects.filter(photo=OuterRef("pk")))
    )


def articles_showing_pictures() -> Subquery:
    """The number of live or scheduled articles that show the picture of an `Image` row (as
    their lead or in their body): what "in 3 live or scheduled articles" says."""
    in_bodies = ImageBlock.objects.filter(image=OuterRef(OuterRef("pk"))).values("parent_id")
    showing = (
        Article.objects.filter(Q(lead_image=OuterRef("pk")) | Q(pk__in=in_bodies))
        .filter(status=Article.Status.PUBLISHED)
        .exclude(unpublish_at__lte=timezone.now())
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return Coalesce(Subquery(showing, output_field=IntegerField()), 0)
