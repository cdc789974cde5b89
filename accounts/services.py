"""Writes with rules for accounts."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User

EMAIL_TAKEN = (
    "An account with this email address already exists. Log in, or reset your password if "
    "you have forgotten it."
)


def reader_sign_up(*, email: str, password: str, name: str = "") -> User:
    """Create a reader's account and return it.

    Raise `ValidationError` on "email" when the address is taken, whatever its case (the
    database's case-insensitive constraint settles a race between two sign-ups).
    """
    try:
        with transaction.atomic():
            return get_user_model().objects.create_user(email=email, password=password, name=name)
    except IntegrityError as error:
        raise ValidationError({"email": EMAIL_TAKEN}, code="unique") from error
