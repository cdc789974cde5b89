"""Newsletters, who gets them, what was sent to whom, and the addresses never to write to.

- `Newsletter`: what editors define (name, who may receive it, a cadence).
- `NewsletterSubscription`: one address on one newsletter (with its account, if it has one):
  waiting for its confirmation (an address without an account confirms by email first),
  subscribed, or left.
- `Suppression`: an address that bounced for good or complained: never sent to again.
- `NewsletterSend`: one email an editor sends (an article, or a digest of articles), and how far
  it got. `SendRecipient`: the recipient list, frozen when the send starts, one row per recipient
  with the variant they get; `SendVariant`: each variant rendered once.
- `ProviderEvent`: what the email provider's webhook said, recorded once and applied by a task.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone


class Audience(models.TextChoices):
    EVERYONE = "everyone", "Everyone (any address)"
    REGISTERED = "registered", "Registered readers"
    SUBSCRIBERS = "subscribers", "Subscribers"


class Cadence(models.TextChoices):
    DAILY = "daily", "Every morning"
    WEEKDAYS = "weekdays", "Weekday mornings"
    WEEKLY = "weekly", "Weekly"
    AS_PUBLISHED = "as_published", "When we publish"
    OCCASIONAL = "occasional", "Now and then"


class Newsletter(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)
    description = models.TextField(
        max_length=500,
        help_text="What readers get, in a sentence or two (shown where they sign up).",
    )
    audience = models.CharField(
        "who may receive it",
        max_length=12,
        choices=Audience.choices,
        default=Audience.EVERYONE,
        help_text="Registered readers and subscribers sign up while logged in; a subscribers' "
        "newsletter goes only to those whose subscription entitles them when it is sent.",
    )
    cadence = models.CharField(max_length=12, choices=Cadence.choices, default=Cadence.DAILY)
    is_active = models.BooleanField(
        "offered", default=True, help_text="Listed on the newsletters page and open to sign-ups."
    )
    offered_on_articles = models.BooleanField(
        "offered on articles",
        default=False,
        help_text="Offered at the end of every article and in the paywall prompt, and in place "
        "of the meter's registration wall (“Sign up for …”). One newsletter at a time.",
    )
    order = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["offered_on_articles"],
                condition=models.Q(offered_on_articles=True),
                name="newsletter_one_offered_on_articles",
                violation_error_message="Another newsletter is already offered on articles.",
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return f"{reverse('newsletter_list')}#{self.slug}"


class NewsletterSubscription(models.Model):
    """One address on one newsletter. Addresses are kept lower-cased: one row per address."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        SUBSCRIBED = "subscribed", "Subscribed"
        LEFT = "left", "Left"

    class Source(models.TextChoices):
        PAGE = "page", "Newsletters page"
        ACCOUNT = "account", "Account preferences"
        PAYWALL = "paywall", "Paywall prompt"
        ARTICLE = "article", "End of an article"
        WALL = "wall", "Registration wall"
        ADMIN = "admin", "Admin"

    class LeftBecause(models.TextChoices):
        READER = "reader", "The reader left"
        ONE_CLICK = "one_click", "One-click unsubscribe from the mail client"
        PROVIDER = "provider", "Unsubscribed at the email provider"
        COMPLAINT = "complaint", "Marked as spam"
        NOT_ELIGIBLE = "not_eligible", "No longer in the newsletter's audience"

    newsletter = models.ForeignKey(
        Newsletter, on_delete=models.CASCADE, related_name="subscriptions"
    )
    email = models.EmailField(max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="newsletter_subscriptions",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PAGE)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    left_because = models.CharField(max_length=12, choices=LeftBecause.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                "newsletter", Lower("email"), name="newsletter_subscription_one_per_address"
            )
        ]
        indexes = [models.Index(fields=["newsletter", "status"], name="newsletter_status")]

    def __str__(self):
        return f"{self.email} on {self.newsletter}"


class Suppression(models.Model):
    """An address never to be sent to again: it bounced for good, or its reader complained."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        COMPLAINT = "complaint", "Complaint (marked as spam)"
        REJECTED = "rejected", "Refused by the provider"
        MANUAL = "manual", "Added by staff"

    email = models.EmailField(max_length=254)
    reason = models.CharField(max_length=12, choices=Reason.choices)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Which provider event put it here (empty when staff added it).
    event = models.ForeignKey(
        "ProviderEvent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(Lower("email"), name="suppression_one_per_address")]

    def __str__(self):
        return f"{self.email} ({self.get_reason_display()})"


class NewsletterSend(models.Model):
    """One email an editor sends to a newsletter's readers: an article, or a digest."""

    class Kind(models.TextChoices):
        ARTICLE = "article", "An article"
        DIGEST = "digest", "A digest of articles"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        WAITING = "waiting", "Waiting for the article to be published"
        FREEZING = "freezing", "Freezing the recipient list"
        SENDING = "sending", "Sending"
        PAUSED = "paused", "Paused"
        CANCELLED = "cancelled", "Cancelled"
        SENT = "sent", "Sent"

    newsletter = models.ForeignKey(Newsletter, on_delete=models.PROTECT, related_name="sends")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.ARTICLE)
    article = models.ForeignKey(
        "articles.Article",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The article this email is (an article send).",
    )
    subject = models.CharField(
        max_length=200, blank=True, help_text="Empty: the article's headline (a digest: its name)."
    )
    preheader = models.CharField(
        max_length=200,
        blank=True,
        help_text="The line inboxes show after the subject. Empty: the article's standfirst.",
    )
    intro = models.TextField(
        "editor's note", blank=True, help_text="A few words at the top of a digest (plain text)."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    send_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When to send it (scheduled). With “with its publication”: not before then.",
    )
    with_publication = models.BooleanField(
        "with its publication",
        default=False,
        help_text="Send the article when it goes live (at once if it already is).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    frozen_at = models.DateTimeField("recipients frozen at", null=True, blank=True)
    freeze_seconds = models.FloatField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    batches = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("send_newslettersend", "Can send, schedule, pause, resume and cancel newsletters")
        ]

    def __str__(self):
        return self.subject or (str(self.article) if self.article_id else f"Digest {self.pk}")

    @property
    def is_started(self) -> bool:
        return self.status in {
            self.Status.FREEZING,
            self.Status.SENDING,
            self.Status.PAUSED,
            self.Status.CANCELLED,
            self.Status.SENT,
        }


class DigestItem(models.Model):
    """An article in a digest, in its place."""

    send = models.ForeignKey(NewsletterSend, on_delete=models.CASCADE, related_name="items")
    article = models.ForeignKey("articles.Article", on_delete=models.PROTECT, related_name="+")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["send", "article"], name="digest_item_once")]

    def __str__(self):
        return f"{self.article} in {self.send}"


class SendVariant(models.Model):
    """One version of a send, as one kind of reader gets it, rendered once for all of them.

    The text holds stand-ins for the two things that differ per recipient, their name and their
    unsubscribe link (`newsletters.rendering`).
    """

    send = models.ForeignKey(NewsletterSend, on_delete=models.CASCADE, related_name="variants")
    # Each article's decision for these readers (`newsletters.rendering.variant_key`).
    key = models.CharField(max_length=2000)
    subject = models.CharField(max_length=300)
    preheader = models.CharField(max_length=300, blank=True)
    html = models.TextField(blank=True)
    text = models.TextField(blank=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["send", "key"], name="variant_once")]

    def __str__(self):
        return f"{self.send}: {self.key}"


class SendRecipient(models.Model):
    """One recipient of a send, frozen when it started: handed over once, or said why not."""

    class Status(models.TextChoices):
        PREPARED = "prepared", "Prepared"
        SENDING = "sending", "Being handed over"
        HANDED_OVER = "handed_over", "Handed over"
        SUPPRESSED = "suppressed", "Suppressed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    send = models.ForeignKey(NewsletterSend, on_delete=models.CASCADE, related_name="recipients")
    subscription = models.ForeignKey(
        NewsletterSubscription, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=150, blank=True)
    # An account's address: its footer links to the account's preferences.
    has_account = models.BooleanField(default=False)
    variant = models.ForeignKey(SendVariant, on_delete=models.PROTECT, related_name="+")
    batch = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PREPARED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The task handing it over: a task run again after its worker died finds its own claim.
    task_id = models.CharField(max_length=64, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["send", "batch", "pk"]
        constraints = [
            # Frozen once: nobody gets the same send twice.
            models.UniqueConstraint(fields=["send", "email"], name="recipient_once_per_send")
        ]
        indexes = [
            models.Index(fields=["send", "batch", "status"], name="recipient_batch"),
            models.Index(fields=["send", "status"], name="recipient_status"),
            models.Index(fields=["provider_message_id"], name="recipient_provider_id"),
        ]

    def __str__(self):
        return f"{self.email} ({self.get_status_display()})"


class ProviderEvent(models.Model):
    """What the email provider's tracking webhook said about one message: recorded once by its
    id, then applied by a task (`newsletters.delivery.provider_events_apply`)."""

    event_id = models.CharField(max_length=200, unique=True)
    provider = models.CharField(max_length=40)
    event_type = models.CharField(max_length=20)
    email = models.EmailField(max_length=254, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=20, blank=True)
    description = models.CharField(max_length=500, blank=True)
    # What the site put in the message to find it again (newsletter send and recipient ids).
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self):
        return f"{self.event_type} for {self.email or '?'}"
