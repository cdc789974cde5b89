import calendar
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

# Plans, subscriptions and the meter ----------------------------------------------------------

# An active subscription that is expected to renew stays entitled this long after its period
# ends, so that a renewal confirmed a little late by the payment provider costs no access.
RENEWAL_GRACE = timedelta(days=1)

CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def add_months(moment, months):
    """Return `moment` moved by whole calendar months in the site's time zone.

    The day is clamped to the length of the target month (31 January + 1 month is 28 or 29
    February), and the wall-clock time is kept across daylight-saving changes.
    """
    local = timezone.localtime(moment, timezone.get_default_timezone())
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)


class PlanQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Plan(models.Model):
    """What a reader can subscribe to: a price per month or per year, perhaps after a trial."""

    class Interval(models.TextChoices):
        MONTH = "month", "Monthly"
        YEAR = "year", "Yearly"

    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    currency = models.CharField(
        max_length=3, default="GBP", help_text="ISO 4217 code, for example GBP, EUR or USD."
    )
    interval = models.CharField(max_length=5, choices=Interval.choices, default=Interval.MONTH)
    trial_days = models.PositiveSmallIntegerField(
        default=0, help_text="Free days before the first payment; 0 for no trial."
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="Only active plans are offered on the subscribe page."
    )
    order = models.PositiveIntegerField(default=0)
    benefits = models.TextField(blank=True, help_text="One benefit per line.")
    # Set by `manage.py sync_plans` from the payment provider, never typed by hand.
    provider_product_id = models.CharField(max_length=255, blank=True, editable=False)
    provider_price_id = models.CharField(max_length=255, blank=True, editable=False)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["order", "price", "name"]

    def __str__(self):
        return self.name

    @property
    def price_label(self):
        """Return the price as readers see it: "£8.00 a month"."""
        symbol = CURRENCY_SYMBOLS.get(self.currency.upper())
        amount = f"{symbol}{self.price:,.2f}" if symbol else f"{self.price:,.2f} {self.currency}"
        return f"{amount} a {self.interval}"

    @property
    def benefit_lines(self):
        return [line.strip() for line in self.benefits.splitlines() if line.strip()]

    def period_end(self, start):
        """Return when a paid period of this plan that begins at `start` ends."""
        return add_months(start, 12 if self.interval == self.Interval.YEAR else 1)


class SubscriptionQuerySet(models.QuerySet):
    def entitling_q(self, *, at):
        """Return the SQL twin of `Subscription.entitles`; the two must always agree."""
        status = Subscription.Status
        grace = timedelta(days=settings.NEWSROOM_PAST_DUE_GRACE_DAYS)
        return models.Q(current_period_start__lte=at) & (
            models.Q(status=status.TRIALING, current_period_end__gt=at)
            | models.Q(status=status.ACTIVE, cancel_at_period_end=True, current_period_end__gt=at)
            | models.Q(
                status=status.ACTIVE,
                cancel_at_period_end=False,
                current_period_end__gt=at - RENEWAL_GRACE,
            )
            | models.Q(status=status.PAST_DUE, current_period_end__gt=at - grace)
            | models.Q(status=status.CANCELED, current_period_end__gt=at)
        )

    def entitling(self, *, at):
        return self.filter(self.entitling_q(at=at))

    def latest_first(self):
        return self.order_by("-current_period_end", "-pk")


class Subscription(models.Model):
    """A reader's subscription to a plan over a period; README.md says when it entitles."""

    class Status(models.TextChoices):
        TRIALING = "trialing", "Trial"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Payment overdue"
        CANCELED = "canceled", "Cancelled"
        EXPIRED = "expired", "Expired"

    class Source(models.TextChoices):
        COMPLIMENTARY = "complimentary", "Complimentary"
        MANUAL = "manual", "Manual (no payment provider)"
        PROVIDER = "provider", "Payment provider"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions"
    )
    plan = models.ForeignKey(
        Plan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subscriptions",
        help_text="Empty for complimentary access that is not tied to a plan.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    current_period_start = models.DateTimeField()
    current_period_end = models.DateTimeField()
    cancel_at_period_end = models.BooleanField(
        default=False, help_text="The subscription ends at the end of this period."
    )
    source = models.CharField(max_length=13, choices=Source.choices, default=Source.MANUAL)
    provider_reference = models.CharField(
        max_length=255, blank=True, help_text="The payment provider's id for this subscription."
    )
    attributed_gift = models.ForeignKey(
        "GiftLink",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subscriptions",
        help_text="The gifted article that brought this reader to subscribe.",
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who granted a complimentary subscription.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-current_period_end", "-pk"]
        indexes = [models.Index(fields=["user", "-current_period_end"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(current_period_end__gt=models.F("current_period_start")),
                name="subscription_period_not_empty",
                violation_error_message="The period must end after it starts.",
            ),
            # One row per subscription at the payment provider: webhooks find it by this id.
            models.UniqueConstraint(
                fields=["provider_reference"],
                condition=~models.Q(provider_reference=""),
                name="subscription_provider_reference_unique",
            ),
        ]

    def __str__(self):
        return f"{self.user}: {self.plan or self.get_source_display()}"

    def entitles(self, *, at):
        """Return whether this subscription lets its reader read everything at time `at`.

        The rule is the table "When a subscription entitles" in README.md;
        `SubscriptionQuerySet.entitling_q` is its SQL twin.
        """
        until = self.entitled_until()
        return until is not None and self.current_period_start <= at < until

    def entitled_until(self):
        """Return when this subscription stops entitling (exclusive), or None if it never does.

        It entitles from `current_period_start` until then: see `entitles`.
        """
        end = self.current_period_end
        match self.status:
            case self.Status.TRIALING | self.Status.CANCELED:
                return end
            case self.Status.ACTIVE:
                return end if self.cancel_at_period_end else end + RENEWAL_GRACE
            case self.Status.PAST_DUE:
                return end + timedelta(days=settings.NEWSROOM_PAST_DUE_GRACE_DAYS)
        return None

    @property
    def will_renew(self):
        return self.status in {self.Status.TRIALING, self.Status.ACTIVE} and not (
            self.cancel_at_period_end
        )

    def can_cancel(self, *, at):
        """Return whether the reader may still cancel (it is entitled and not yet cancelled)."""
        cancellable = {self.Status.TRIALING, self.Status.ACTIVE, self.Status.PAST_DUE}
        return self.status in cancellable and not self.cancel_at_period_end and self.entitles(at=at)


class MeteredRead(models.Model):
    """A metered article a registered reader read in full during one month of the meter."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="metered_reads"
    )
    # The article's id, not a foreign key: the paywall decides about "an article with an id and
    # an access level" and knows nothing else of articles.
    article_id = models.PositiveBigIntegerField()
    period = models.DateField(help_text="The first day of the meter's month.")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-read_at"]
        constraints = [
            # Counting is race-safe because a read can exist only once per reader and month.
            models.UniqueConstraint(
                fields=["user", "period", "article_id"], name="meteredread_once_per_period"
            )
        ]

    def __str__(self):
        return f"{self.user} read {self.article_id} in {self.period:%B %Y}"


# Payments, gifts and cancellations ------------------------------------------------------------


class PaymentCustomer(models.Model):
    """A reader's customer record at the payment provider (Stripe's `cus_…`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_customer"
    )
    provider_customer_id = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.user}: {self.provider_customer_id}"


class ProviderEvent(models.Model):
    """A webhook event from the payment provider, recorded once by its id (replays do nothing)."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.type} {self.event_id}"


class CancellationFeedback(models.Model):
    """Why a reader cancelled; kept when they resume, with the time they did."""

    class Reason(models.TextChoices):
        TOO_EXPENSIVE = "too_expensive", "It costs too much"
        NOT_READING = "not_reading", "I don't read it enough"
        OTHER_SOURCE = "other_source", "I get my news elsewhere"
        CONTENT = "content", "I'm unhappy with the journalism"
        TECHNICAL = "technical", "Problems with the site or payments"
        OTHER = "other", "Something else"

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="cancellations"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    text = models.TextField("in your words", blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    resumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.subscription.user}: {self.get_reason_display()}"


class GiftLink(models.Model):
    """A link a subscriber shares so that anyone may read one article in full.

    Knows the article only by its id, like the rest of the paywall.
    """

    token = models.CharField(max_length=64, unique=True, editable=False)
    article_id = models.PositiveBigIntegerField()
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gift_links"
    )
    recipient_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    open_count = models.PositiveIntegerField(default=0)
    last_opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["sender", "-created_at"])]

    def __str__(self):
        return f"Gift of article {self.article_id} from {self.sender}"

    def is_valid(self, *, at) -> bool:
        return self.revoked_at is None and at < self.expires_at


class GiftSignup(models.Model):
    """A reader who created an account after opening a gift: the gift's conversion funnel."""

    gift = models.ForeignKey(GiftLink, on_delete=models.CASCADE, related_name="signups")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gift_signup"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.user} after {self.gift}"


class PrivateFeed(models.Model):
    """A reader's private feed address: the feed of the articles as the paywall gives them to
    this reader, at an address only they know (`subscriptions.private_feeds` says how).

    The address's token is never stored: `key` is random, the token is a keyed hash of it
    (made with the site's secret key), and `token_hash` a plain hash of the token, by which a
    request finds its feed. A copy of the database alone therefore gives no working address.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="private_feed"
    )
    key = models.CharField(max_length=64, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Private feed of {self.user}"
