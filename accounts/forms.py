import hashlib

from django import forms
from django.contrib.auth.forms import (
    AdminUserCreationForm,
    AuthenticationForm,
    BaseUserCreationForm,
    PasswordResetForm,
    UserChangeForm,
)
from django.template import loader

from accounts.display_names import DISPLAY_NAME_MAX_LENGTH
from accounts.models import User
from accounts.services import EMAIL_TAKEN
from foundation.outbox import email_queue


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


class ReaderPasswordResetForm(PasswordResetForm):
    """Django's password reset, its email queued in the outbox (`foundation.outbox`): sent even
    if the mail server refuses it for a while, and once per link however often the form is
    sent within the same second."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = loader.render_to_string(subject_template_name, context)
        text = loader.render_to_string(email_template_name, context)
        html = (
            loader.render_to_string(html_email_template_name, context)
            if html_email_template_name
            else None
        )
        # The link's token names the request (it changes with the time and the password);
        # only a digest of it is kept as the key.
        digest = hashlib.sha256(context["token"].encode()).hexdigest()[:24]
        email_queue(
            to=to_email,
            subject=subject,
            text=text,
            html=html,
            event_key=f"password-reset:{context['user'].pk}:{digest}",
        )
