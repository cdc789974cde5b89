from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Upper
from django.utils import timezone

from accounts.display_names import DISPLAY_NAME_MAX_LENGTH, validate_display_name


class UserManager(BaseUserManager):
    """Manage accounts identified by their email address."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email):
        # Log-in by email ignores case, matching the unique constraint below.
        return self.get(email__iexact=email)


class User(AbstractUser):
    """A person with an account: a reader, a subscriber, a journalist or an editor."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("email address", max_length=254, unique=True)
    # Shown to others (a gift's email says who sent it): `accounts.display_names` says what it
    # may hold. The column stays 150 wide for names kept from before the rule.
    name = models.CharField(max_length=150, blank=True, validators=[validate_display_name])
    # When the reader last showed that the address is theirs (a sign-in by email); cleared when
    # the address changes.
    email_verified_at = models.DateTimeField("email address verified", null=True, blank=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]
        # The readers' list in the admin at a hundred thousand accounts: its filters find the
        # few staff, superusers and deactivated accounts in the list's order without reading
        # the table. (Searches use trigram indexes on PostgreSQL: migration 0005.)
        indexes = [
            models.Index(fields=["email"], condition=Q(is_staff=True), name="user_staff"),
            models.Index(fields=["email"], condition=Q(is_superuser=True), name="user_superuser"),
            models.Index(fields=["email"], condition=Q(is_active=False), name="user_inactive"),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_ci",
                violation_error_message="An account with this email address already exists.",
            )
        ]

    def __str__(self):
        return self.email

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return self.name or self.email.split("@")[0]

    def get_session_auth_hash(self):
        """The session hash, as kept with a user read through the kept values
        (`accounts.backends`), whose password is not kept: else from the password."""
        kept = getattr(self, "kept_session_auth_hash", None)
        if kept is not None and "password" in self.get_deferred_fields():
            return kept
        return super().get_session_auth_hash()


class EmailSignIn(models.Model):
    """One sign-in email: a link and a 6-digit code, one credential (`accounts.email_sign_in`).

    Neither is stored: the token's SHA-256 finds the row, and the code is kept as a keyed hash
    (with `SECRET_KEY`), so a copy of the database signs nobody in.
    """

    class Purpose(models.TextChoices):
        LOG_IN = "log-in", "asked on the log-in page"
        SIGN_UP = "sign-up", "asked on the sign-up page: the first use makes the account"

    class Ending(models.TextChoices):
        SIGNED_IN = "signed-in", "used to sign in"
        REPLACED = "replaced", "replaced by a newer email"
        WRONG_CODES = "wrong-codes", "locked after too many wrong codes"

    # The account's address, or the address typed when there is no account.
    email = models.EmailField(max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="email_sign_ins",
    )
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    # For the account a sign-up makes.
    name = models.CharField(max_length=DISPLAY_NAME_MAX_LENGTH, blank=True)
    # The newsletter the reader signed up for with the account (a wall's "Sign up for …"): its
    # slug, sent with `accounts.signals.reader_signed_up` when the account is made.
    newsletter = models.SlugField(max_length=50, blank=True)
    next_path = models.CharField(max_length=2000, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    code_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ending = models.CharField(max_length=16, choices=Ending.choices, blank=True)
    wrong_codes = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            # A new email ends the older ones of the same address, whatever its case
            # (`email__iexact` is UPPER(email) on PostgreSQL).
            models.Index(Upper("email"), name="emailsignin_email_upper"),
            models.Index(fields=["expires_at"], name="emailsignin_expires"),
        ]

    def __str__(self):
        return f"Sign-in email to {self.email}"

    def is_live(self, *, at) -> bool:
        """Return whether the link and code may still be used at `at`."""
        return self.ended_at is None and at < self.expires_at
