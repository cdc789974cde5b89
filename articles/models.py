from content_editor.models import Region, create_plugin_base
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django_prose_editor.fields import ProseEditorField

from subscriptions.access import Access

WORDS_PER_MINUTE = 230

# What a text block may contain; the editor offers exactly this, and nh3 enforces it on save.
TEXT_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Heading": {"levels": [2, 3]},
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
}


class Section(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)
    description = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("section", kwargs={"slug": self.slug})


class Author(models.Model):
    name = models.CharField(max_length=150)
    slug = models.SlugField(unique=True)
    bio = models.TextField(blank=True)
    photo = models.ForeignKey(
        "media.Image", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="author",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("author", kwargs={"slug": self.slug})


class Tag(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("tag", kwargs={"slug": self.slug})


class ArticleQuerySet(models.QuerySet):
    def published_q(self, *, at=None):
        return models.Q(status=Article.Status.PUBLISHED, published_at__lte=at or timezone.now())

    def published(self, *, at=None):
        return self.filter(self.published_q(at=at))

    def in_section(self, section):
        return self.filter(section=section)

    def by_author(self, author):
        return self.filter(authors=author)

    def tagged(self, tag):
        return self.filter(tags=tag)

    def search(self, query):
        """Match the words of `query` in public text only: never beyond the preview cut in force.

        The stored preview is trusted only if it was cut at a paywall break or with today's
        NEWSROOM_PREVIEW_PARAGRAPHS; after the setting changes, `manage.py recompute_previews`
        brings the others back into search.
        """
        preview_in_force = models.Q(preview_text_paragraphs__isnull=True) | models.Q(
            preview_text_paragraphs=settings.NEWSROOM_PREVIEW_PARAGRAPHS
        )
        matches = models.Q()
        for word in query.split()[:10]:
            matches &= (
                models.Q(headline__icontains=word)
                | models.Q(standfirst__icontains=word)
                | (models.Q(preview_text__icontains=word) & preview_in_force)
            )
        return self.filter(matches)

    def latest_first(self):
        return self.order_by("-published_at", "-pk")

    def for_listing(self, *, images=True):
        """Fetch what a card shows (section, lead image, byline) in a fixed number of queries."""
        listing = self.select_related("section").prefetch_related(
            models.Prefetch("bylines", queryset=Byline.objects.select_related("author"))
        )
        if images:
            listing = listing.select_related("lead_image").prefetch_related(
                "lead_image__renditions"
            )
        return listing


def default_access():
    return settings.NEWSROOM_DEFAULT_ACCESS


class Article(models.Model):
    Access = Access  # the vocabulary lives with the paywall that gives it meaning

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    headline = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    standfirst = models.TextField(
        max_length=400, blank=True, help_text="One sentence under the headline."
    )
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, null=True, blank=True, related_name="articles"
    )
    authors = models.ManyToManyField(Author, through="Byline", related_name="articles")
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles")
    lead_image = models.ForeignKey(
        "media.Image", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lead_caption = models.CharField(
        "caption", max_length=500, blank=True, help_text="Leave empty to use the image's caption."
    )
    lead_credit = models.CharField(
        "credit", max_length=200, blank=True, help_text="Leave empty to use the image's credit."
    )
    lead_alt_text = models.CharField(
        "alt text", max_length=300, blank=True, help_text="Leave empty to use the image's alt text."
    )
    access = models.CharField(
        max_length=12,
        choices=Access.choices,
        default=default_access,
        help_text="Free: everyone reads it in full. Metered: counts against a reader's free "
        "articles this month. Subscribers only: others see the preview.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        "publish time",
        null=True,
        blank=True,
        db_index=True,
        help_text="A time in the future schedules the article. Empty means now, on publishing.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    seo_description = models.CharField(
        "SEO description",
        max_length=300,
        blank=True,
        help_text="For search engines and social cards; the standfirst is used when empty.",
    )
    word_count = models.PositiveIntegerField(default=0, editable=False)
    # The body's text before the preview cut, and only that: what site search may match.
    preview_text = models.TextField(default="", editable=False)
    # The NEWSROOM_PREVIEW_PARAGRAPHS that `preview_text` was cut with (None: at a paywall
    # break, whatever the setting). Search trusts the text only while the setting still says so.
    preview_text_paragraphs = models.PositiveSmallIntegerField(
        null=True, blank=True, editable=False
    )

    objects = ArticleQuerySet.as_manager()

    regions = [Region(key="body", title="Body")]

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-published_at"]),
            # The sitemap index's newest change, without reading the archive.
            models.Index(fields=["status", "-updated_at"], name="article_status_updated"),
        ]
        permissions = [("publish_article", "Can publish, schedule and unpublish articles")]

    def __str__(self):
        return self.headline

    def get_absolute_url(self):
        return reverse("article", kwargs={"slug": self.slug})

    @property
    def read_minutes(self):
        return max(1, round(self.word_count / WORDS_PER_MINUTE))

    @property
    def is_live(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def is_scheduled(self):
        return self.status == self.Status.PUBLISHED and not self.is_live

    @property
    def was_updated(self):
        """Whether the article changed noticeably after it was published."""
        return (
            self.published_at is not None
            and (self.updated_at - self.published_at).total_seconds() > 15 * 60
        )

    @property
    def description(self):
        return self.seo_description or self.standfirst

    @property
    def byline_authors(self):
        return [byline.author for byline in self.bylines.all()]


class Byline(models.Model):
    """An author's place in an article's byline."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="bylines")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["article", "author"], name="byline_unique_author")
        ]

    def __str__(self):
        return self.author.name


# The kinds of body block below are registered once, with how each renders, in articles.blocks.
ArticleBlock = create_plugin_base(Article)


class TextBlock(ArticleBlock):
    text = ProseEditorField(extensions=TEXT_EXTENSIONS, sanitize=True)

    class Meta:
        verbose_name = "text"

    def __str__(self):
        return self.get_text_excerpt()


class ImageBlock(ArticleBlock):
    class Layout(models.TextChoices):
        STANDARD = "standard", "Standard (column width)"
        WIDE = "wide", "Wide"
        INSET = "inset", "Inset (beside the text)"

    image = models.ForeignKey("media.Image", on_delete=models.PROTECT, related_name="+")
    caption = models.CharField(
        max_length=500, blank=True, help_text="Leave empty to use the image's caption."
    )
    credit = models.CharField(
        max_length=200, blank=True, help_text="Leave empty to use the image's credit."
    )
    alt_text = models.CharField(
        max_length=300, blank=True, help_text="Leave empty to use the image's alt text."
    )
    layout = models.CharField(max_length=10, choices=Layout.choices, default=Layout.STANDARD)

    class Meta:
        verbose_name = "image"

    @classmethod
    def get_queryset(cls):
        return cls.objects.select_related("image").prefetch_related("image__renditions")

    def __str__(self):
        return self.caption or str(self.image)


class QuoteBlock(ArticleBlock):
    text = models.TextField()
    attribution = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "quote"

    def __str__(self):
        return self.text[:60]


class PaywallBreak(ArticleBlock):
    """Everything after this block is for entitled readers only."""

    class Meta:
        verbose_name = "paywall break"

    def __str__(self):
        return "Paywall break"


# The block models, for `articles.apps` (signal wiring); everything else walks the registry of
# kinds in `articles.blocks`, and a test checks that the two agree.
BLOCK_MODELS = [TextBlock, ImageBlock, QuoteBlock, PaywallBreak]
