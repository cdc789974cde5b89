from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower

from accounts.display_names import validate_display_name


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

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]
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
