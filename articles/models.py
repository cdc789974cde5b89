from datetime import timedelta

from content_editor.models import Region, create_plugin_base
from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django_prose_editor.fields import ProseEditorField

from media.models import Image
from subscriptions.access import Access

from .search import preview_in_force_q, searchable_text

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
        """Live at `at` (now): published, its publish time come, its unpublish time not yet."""
        at = at or timezone.now()
        return models.Q(status=Article.Status.PUBLISHED, published_at__lte=at) & (
            models.Q(unpublish_at__isnull=True) | models.Q(unpublish_at__gt=at)
        )

    def published(self, *, at=None):
        return self.filter(self.published_q(at=at))

    def scheduled_q(self, *, at=None):
        return models.Q(status=Article.Status.PUBLISHED, published_at__gt=at or timezone.now())

    def scheduled(self, *, at=None):
        return self.filter(self.scheduled_q(at=at))

    def drafts(self):
        return self.filter(status=Article.Status.DRAFT)

    def sent_back(self):
        """Drafts an editor sent back to their journalist with a note."""
        return self.drafts().exclude(review_note="")

    def in_review(self):
        return self.filter(status=Article.Status.REVIEW)

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
        preview_in_force = preview_in_force_q()
        matches = models.Q()
        for word in query.split()[:10]:
            matches &= (
                models.Q(headline__icontains=word)
                | models.Q(standfirst__icontains=word)
                | (models.Q(preview_text__icontains=word) & preview_in_force)
            )
        return self.filter(matches)

    def showing_pictures_with_rights_ending(self, *, within_days=7, on=None):
        """Return the published (live or scheduled) articles whose lead image or an image block
        shows a picture whose rights end within `within_days` days of `on` (today), or ended."""
        last_day = (on or timezone.localdate()) + timedelta(days=within_days)
        # The pictures first (a short list, most days none): then the archive is read only
        # through the indexes of the articles and blocks that show them, or not at all.
        pictures = list(
            Image.objects.filter(rights_expire_on__lte=last_day)
            .order_by()
            .values_list("pk", flat=True)
        )
        if not pictures:
            return self.none()
        in_blocks = ImageBlock.objects.filter(image__in=pictures)
        return self.filter(status=Article.Status.PUBLISHED).filter(
            models.Q(lead_image__in=pictures) | models.Q(pk__in=in_blocks.values("parent_id"))
        )

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


def read_minutes(word_count: int) -> int:
    """Return the read time a page and a card show for `word_count` words ("4 min read")."""
    return max(1, round(word_count / WORDS_PER_MINUTE))


def is_past(moment, *, at=None):
    return moment is not None and moment <= (at or timezone.now())


def is_live_at(article, at):
    """Whether `article` (a row or anything with its status and times) is on the site at `at`:
    the one rule that `ArticleQuerySet.published_q` says in SQL."""
    return (
        article.status == Article.Status.PUBLISHED
        and is_past(article.published_at, at=at)
        and not is_past(article.unpublish_at, at=at)
    )


def default_access():
    return settings.NEWSROOM_DEFAULT_ACCESS


class ChosenRowsChecked:
    """For a model whose foreign keys a form chooses: a row the form's field has just found
    (`articles.admin.forms.HeldRowField`, named in `rows_checked`) is not looked for again by
    the model's validation, where Django's `ForeignKey.validate` asks the database whether it
    exists, one query per row per save. Every other field is validated as Django does."""

    def clean_fields(self, exclude=None):
        checked = getattr(self, "rows_checked", ())
        super().clean_fields(exclude={*(exclude or ()), *checked})


class Article(ChosenRowsChecked, models.Model):
    Access = Access  # the vocabulary lives with the paywall that gives it meaning

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"  # submitted by its journalist; an editor has it
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
    unpublish_at = models.DateTimeField(
        "unpublish time",
        null=True,
        blank=True,
        db_index=True,
        help_text="The article comes off the site at this time (a takedown). Empty: it stays.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Whose article it is: a journalist edits only their own, and only while it is a draft.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # The last note an editor wrote when sending the article back; cleared when it is submitted
    # again or published (the admin log keeps every note).
    review_note = models.TextField("note from the editor", blank=True, editable=False)
    review_note_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    review_note_at = models.DateTimeField(null=True, blank=True, editable=False)
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
    # The public text as site search reads it, made by the database on every write (no save or
    # bulk update can forget it); search drops its preview part while `preview_text` was cut
    # with another length than the one in force (`articles.search`). NULL on SQLite.
    search_vector = models.GeneratedField(
        expression=searchable_text(),
        output_field=SearchVectorField(null=True),
        db_persist=True,
        null=True,
    )
    # Set on a draft that holds changes being prepared for a live article (`articles.revisions`):
    # readers keep seeing the live one until the changes are published onto it. One at a time.
    draft_of = models.OneToOneField(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        editable=False,
        related_name="changes_in_progress",
        verbose_name="changes to",
    )

    objects = ArticleQuerySet.as_manager()

    regions = [Region(key="body", title="Body")]

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-published_at"]),
            # The admin's list, work in hand first (PostgreSQL sorts NULLs first descending):
            # its page read in order from here, whatever the size of the archive.
            models.Index(fields=["-published_at", "-id"], name="article_admin_newest"),
            # The sitemap index's newest change, without reading the archive.
            models.Index(fields=["status", "-updated_at"], name="article_status_updated"),
            # A section's page: its live articles newest first, read in order from here
            # whatever the size of the archive or the section's share of it.
            models.Index(
                fields=["section", "status", "-published_at", "-id"],
                name="article_section_newest",
            ),
            # Articles cut by a number of paragraphs: search finds those cut with another
            # number than the one in force without reading the archive (`articles.search`).
            models.Index(
                fields=["preview_text_paragraphs"],
                condition=models.Q(preview_text_paragraphs__isnull=False),
                name="article_cut_by_paragraphs",
            ),
        ]
        permissions = [("publish_article", "Can publish, schedule and unpublish articles")]

    def __str__(self):
        return self.headline

    def get_absolute_url(self):
        return reverse("article", kwargs={"slug": self.slug})

    @classmethod
    def from_db(cls, db, field_names, values):
        article = super().from_db(db, field_names, values)
        # The slug as read, so that a save can tell whether it moved (`articles.signals`).
        if "slug" in field_names:
            article.slug_as_read = values[field_names.index("slug")]
        return article

    @property
    def read_minutes(self):
        return read_minutes(self.word_count)

    @property
    def is_live(self):
        return is_live_at(self, timezone.now())

    @property
    def is_scheduled(self):
        """Published, but its publish time has not come yet."""
        return self.status == self.Status.PUBLISHED and not (
            self.published_at is not None and self.published_at <= timezone.now()
        )

    @property
    def is_past_unpublish_time(self):
        """Published, but its unpublish time has passed: off the site, a draft once the
        scheduler (`manage.py run_scheduler`) has seen it."""
        return self.status == self.Status.PUBLISHED and is_past(self.unpublish_at)

    @property
    def is_sent_back(self):
        return self.status == self.Status.DRAFT and bool(self.review_note)

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


class Byline(ChosenRowsChecked, models.Model):
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


class ArticleRevision(models.Model):
    """An article as it was saved once: its fields, byline, tags and body blocks.

    `created_at` is the article's `updated_at` at that save, so a form that carries the version
    it was loaded from finds the revision it showed (`articles.revisions`).
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(max_length=300, blank=True)
    snapshot = models.JSONField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        get_latest_by = ["created_at", "pk"]
        indexes = [models.Index(fields=["article", "-created_at"], name="revision_history")]

    def __str__(self):
        return f"{self.article_id} at {self.created_at:%Y-%m-%d %H:%M:%S}"


# The kinds of body block below are registered once, with how each renders, in articles.blocks.
ArticleBlock = create_plugin_base(Article)


class TextBlock(ArticleBlock):
    text = ProseEditorField(extensions=TEXT_EXTENSIONS, sanitize=True)

    class Meta:
        verbose_name = "text"

    def __str__(self):
        return self.get_text_excerpt()


class ImageBlock(ChosenRowsChecked, ArticleBlock):
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


class PreviewLink(models.Model):
    """A link that lets someone without an account (a lawyer, a source) read an unpublished
    article in full until it expires or is revoked (`articles.previews`)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="preview_links")
    # secrets.token_urlsafe(32): unguessable, kept as is so that the link can be copied again.
    token = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Share link for “{self.article}”"

    def get_absolute_url(self):
        return reverse("article_preview_link", kwargs={"token": self.token})

    def is_valid(self, *, at) -> bool:
        return self.revoked_at is None and at < self.expires_at


class Correction(models.Model):
    """A correction or clarification of a published article, shown with it and on
    /corrections/."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", "Correction"
        CLARIFICATION = "clarification", "Clarification"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="corrections")
    kind = models.CharField(max_length=13, choices=Kind.choices, default=Kind.CORRECTION)
    text = models.TextField(help_text="What was wrong and what is right, in a sentence or two.")
    published_at = models.DateTimeField(
        "time", default=timezone.now, help_text="When the correction was made; not in the future."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        ordering = ["published_at", "pk"]
        indexes = [models.Index(fields=["-published_at"])]

    def __str__(self):
        return f"{self.get_kind_display()}, {timezone.localtime(self.published_at):%d %B %Y}"

    def clean(self):
        if self.published_at and self.published_at > timezone.now() + timezone.timedelta(minutes=1):
            raise ValidationError(
                {"published_at": "A correction cannot be dated in the future."}, code="future"
            )


class ArticleAutosave(models.Model):
    """What one person had typed into an article's change form and not yet saved, kept so that
    a timeout or a closed tab loses nothing. One a person and article (`article` is empty for
    a new article's add form), replaced by each autosave and deleted by a save."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="article_autosaves"
    )
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, null=True, blank=True, related_name="autosaves"
    )
    # The form as posted: each field's name with the list of its values.
    data = models.JSONField()
    saved_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "article"],
                condition=models.Q(article__isnull=False),
                name="autosave_one_per_user_and_article",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(article__isnull=True),
                name="autosave_one_new_article_per_user",
            ),
        ]

    def __str__(self):
        return f"Unsaved edits of {self.article or 'a new article'} by {self.user}"


class SchedulerCheckpoint(models.Model):
    """How far the scheduler (`articles.scheduler`) has announced scheduled go-lives: one row.

    Kept in the database so that a restarted scheduler announces what went live while it was
    away once, and two schedulers never announce the same go-live twice (the row is locked).
    """

    done_until = models.DateTimeField()

    def __str__(self):
        return f"Scheduled go-lives announced until {self.done_until:%Y-%m-%d %H:%M:%S}"
