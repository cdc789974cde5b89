from django import forms
from django.contrib.auth.forms import (
    AdminUserCreationForm,
    AuthenticationForm,
    BaseUserCreationForm,
    UserChangeForm,
)

from accounts.display_names import DISPLAY_NAME_MAX_LENGTH
from accounts.models import User
from accounts.services import EMAIL_TAKEN


class UniqueEmailMixin:
    """Refuse an email address that differs from an existing account's only in case."""

    def clean_email(self):
        email = self.cleaned_data["email"]
        accounts = User.objects.filter(email__iexact=email)
        if self.instance.pk:
            accounts = accounts.exclude(pk=self.instance.pk)
        if accounts.exists():
            raise forms.ValidationError(EMAIL_TAKEN, code="unique")
        return email


class SignUpForm(UniqueEmailMixin, BaseUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "name"]
        labels = {"name": "Name (optional)"}
        help_texts = {
            "name": "How we greet you in emails, and whom a friend is told an article you "
            "gift them is from."
        }
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The column is wider than a name may be (`accounts.display_names`): say the limit.
        self.fields["name"].widget.attrs["maxlength"] = DISPLAY_NAME_MAX_LENGTH


class LogInForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "That email address and password do not match an account. Check both and try "
            "again: the password is case-sensitive."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "email", "inputmode": "email", "autocapitalize": "none"}
        )


class UserAdminCreationForm(UniqueEmailMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "name"]


class UserAdminChangeForm(UniqueEmailMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
