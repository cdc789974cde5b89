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

from accounts.display_names import DISPLAY_NAME_MAX_LENGTH, validate_display_name
from accounts.email_sign_in import CODE_DIGITS
from accounts.models import EmailSignIn, User
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


class SignInEmailForm(forms.Form):
    """Ask for a sign-in email. Sent from its own page, or by the "Email me a sign-in link"
    button of the log-in form (whose address field is `username`, as Django names it) and of
    the sign-up form (which adds the name and says `purpose=sign-up`)."""

    email = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={"required": "Type your email address, and we will email you a link."},
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none"}),
    )
    name = forms.CharField(
        label="Name (optional)",
        required=False,
        max_length=DISPLAY_NAME_MAX_LENGTH,
        validators=[validate_display_name],
        help_text=SignUpForm.Meta.help_texts["name"],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    # The newsletter the sign-up form came with (a wall's "Sign up for …"), passed on as it is.
    newsletter = forms.SlugField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, **kwargs):
        if data is not None and "email" not in data and "username" in data:
            data = data.copy()
            data["email"] = data["username"]
        super().__init__(data, **kwargs)
        self.fields["name"].widget.attrs["maxlength"] = DISPLAY_NAME_MAX_LENGTH
        if self.purpose() != EmailSignIn.Purpose.SIGN_UP:
            self.fields["name"].widget = forms.HiddenInput()

    def clean_name(self):
        # Only a sign-up makes an account to give it to.
        if self.purpose() != EmailSignIn.Purpose.SIGN_UP:
            return ""
        return self.cleaned_data["name"]

    def purpose(self) -> str:
        """Return what the email is asked for: signing in, or making an account (`purpose`
        is "sign-up"; anything else is signing in)."""
        asked = self.data.get("purpose") if self.is_bound else self.initial.get("purpose")
        return EmailSignIn.Purpose.SIGN_UP if asked == "sign-up" else EmailSignIn.Purpose.LOG_IN


class SignInCodeForm(forms.Form):
    """The code of a sign-in email, typed on the page the request led to."""

    code = forms.CharField(
        label="Sign-in code",
        max_length=20,
        help_text=f"The {CODE_DIGITS} digits in the email we sent you.",
        error_messages={"required": f"Type the {CODE_DIGITS}-digit code from the email."},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )

    def clean_code(self):
        # "123 456" and "123-456" are how people copy a code; anything else is a typo.
        code = "".join(self.cleaned_data["code"].replace("-", " ").split())
        if len(code) != CODE_DIGITS or not code.isascii() or not code.isdigit():
            raise forms.ValidationError(
                f"A sign-in code is {CODE_DIGITS} digits: check the email and type it again.",
                code="format",
            )
        return code


class UserAdminCreationForm(UniqueEmailMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "name"]


class UserAdminChangeForm(UniqueEmailMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean(self):
        cleaned_data = super().clean()
        # A new address has not been shown to be the reader's (unless the editor says so).
        if "email" in self.changed_data and "email_verified_at" not in self.changed_data:
            cleaned_data["email_verified_at"] = None
        return cleaned_data


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
