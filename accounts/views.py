"""Log-in, sign-up, sign-in by email and password flows for readers (and staff, who log in the
same way)."""

import unicodedata
from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.backends import password_backend
from accounts.email_sign_in import (
    SIGN_IN_MINUTES,
    email_sign_in_lookup,
    email_sign_in_send,
    email_sign_in_use,
)
from accounts.forms import (
    LogInForm,
    ReaderPasswordResetForm,
    SignInCodeForm,
    SignInEmailForm,
    SignUpForm,
)
from accounts.models import EmailSignIn
from accounts.services import reader_sign_up
from accounts.signals import reader_signed_up
from accounts.throttling import (
    SIGN_IN_EMAIL_WINDOW_SECONDS,
    SIGNUP_WINDOW_SECONDS,
    sign_in_emails_over_limit,
    signup_counted,
    signups_paused,
)
from foundation.forms import InvalidFormStatusMixin


def next_path(request):
    """Return the same-site path in the request's `next` parameter, or "" if it has none.

    Only a path on this site is accepted: `//evil.example`, `/\\evil.example`,
    `https:evil.example`, `javascript:…`, absolute URLs and anything with control characters
    or spaces (which browsers may strip, turning `/\\t/evil.example` into `//evil.example`)
    give "", and so does the page's own path.
    """
    url = request.POST.get("next") or request.GET.get("next") or ""
    if not url.startswith("/") or url[1:2] in ("/", "\\"):
        return ""
    if any(char.isspace() or unicodedata.category(char)[0] == "C" for char in url):
        return ""
    same_site = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    # A page never sends the reader back to itself (a logged-in reader would loop).
    return url if same_site and urlsplit(url).path != request.path else ""


def with_next(url_name, next_url, *args):
    url = reverse(url_name, args=args)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


class ReaderLoginView(InvalidFormStatusMixin, auth_views.LoginView):
    """Django's log-in, with this site's rule for `next` and the meter's carry-over."""

    form_class = LogInForm
    redirect_authenticated_user = True

    def get_redirect_url(self):
        return next_path(self.request)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["signup_url"] = with_next("signup", context["next"])
        return context


log_in = ReaderLoginView.as_view()


class PasswordChangeView(InvalidFormStatusMixin, auth_views.PasswordChangeView):
    pass


class PasswordResetView(InvalidFormStatusMixin, auth_views.PasswordResetView):
    form_class = ReaderPasswordResetForm


class PasswordResetConfirmView(InvalidFormStatusMixin, auth_views.PasswordResetConfirmView):
    pass


@sensitive_post_parameters("password1", "password2")
@never_cache
def sign_up(request):
    next_url = next_path(request)
    if request.user.is_authenticated:
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    context = {"next": next_url, "login_url": with_next("login", next_url)}
    if request.method == "POST" and signups_paused(request):
        return _sign_up_paused(request, context)
    form = SignUpForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            user = reader_sign_up(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                name=form.cleaned_data["name"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            signup_counted(request)  # the address was taken after all
        else:
            signup_counted(request)
            # Sign-up logs the new reader in without a password check, so it names the backend.
            auth_login(request, user, backend=password_backend())
            newsletter = request.POST.get("newsletter", "")
            reader_signed_up.send(sender=sign_up, request=request, user=user, newsletter=newsletter)
            messages.success(request, "Welcome! Your account is ready.")
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    elif form.has_error("email", code="unique"):
        signup_counted(request)  # each such answer tells whether an account exists
    context["form"] = form
    return render(request, "registration/signup.html", context, status=400 if form.errors else 200)


def _sign_up_paused(request, context):
    """Answer a sign-up over the address's hourly limit: 429, with what was typed kept."""
    # Not validated, so nothing is looked up; what was typed comes back, passwords aside.
    typed = {name: request.POST.get(name, "") for name in ("email", "name")}
    context = {**context, "form": SignUpForm(initial=typed), "signups_paused": True}
    response = render(request, "registration/signup.html", context, status=429)
    response["Retry-After"] = str(SIGNUP_WINDOW_SECONDS)
    return response


# Sign-in by email (`accounts.email_sign_in` has the rules) ------------------------------------

# The session's note of the sign-in email this browser asked for last: whose code its page takes.
SESSION_SIGN_IN_KEY = "email_sign_in"


@sensitive_post_parameters("password", "password1", "password2")
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_email(request):
    """Send a sign-in email (posted by its own form, or by the log-in and sign-up forms' "Email
    me a sign-in link"), then show the page that takes its code; GET shows the form alone."""
    next_url = next_path(request)
    if request.user.is_authenticated:
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    posted = request.method == "POST"
    initial = {key: request.GET.get(key, "") for key in ("purpose", "newsletter")}
    form = SignInEmailForm(request.POST if posted else None, initial=initial)
    context = {
        "form": form,
        "next": next_url,
        "purpose": form.purpose(),
        "minutes": SIGN_IN_MINUTES,
    }
    context.update(login_url=with_next("login", next_url), signup_url=with_next("signup", next_url))
    if form.is_valid():
        email = form.cleaned_data["email"]
        if sign_in_emails_over_limit(request, email=email):
            context["over_limit"] = True
            response = render(request, "accounts/sign_in_email.html", context, status=429)
            response["Retry-After"] = str(SIGN_IN_EMAIL_WINDOW_SECONDS)
            return response
        sign_in = email_sign_in_send(
            email=email,
            purpose=form.purpose(),
            name=form.cleaned_data["name"],
            newsletter=form.cleaned_data["newsletter"],
            next_path=next_url,
        )
        request.session[SESSION_SIGN_IN_KEY] = sign_in.pk
        return redirect("sign_in_code")
    status = 400 if form.errors else 200
    return render(request, "accounts/sign_in_email.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_code(request):
    """Show the page a sign-in email's request leads to; sign in with the code typed there."""
    pending = request.session.get(SESSION_SIGN_IN_KEY)
    sign_in = EmailSignIn.objects.filter(pk=pending).first() if isinstance(pending, int) else None
    if sign_in is None:
        return _sign_in_ended(request, None, status=400 if request.method == "POST" else 200)
    if not sign_in.is_live(at=timezone.now()):
        return _sign_in_ended(request, sign_in, status=410)
    form = SignInCodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        # As a password is: axes refuses a locked-out account, and counts a wrong code.
        user = authenticate(
            request, username=sign_in.email, email_sign_in=sign_in, code=form.cleaned_data["code"]
        )
        if user is not None:
            created = getattr(user, "signed_up_by_email", False)
            return _signed_in(request, sign_in, user, created=created)
        sign_in.refresh_from_db()
        if not sign_in.is_live(at=timezone.now()):
            return _sign_in_ended(request, sign_in, status=410)
        form.add_error(
            "code", "That is not the code we sent. Check the newest email and try again."
        )
    context = {"form": form, "sign_in": sign_in, "minutes": SIGN_IN_MINUTES}
    return render(
        request, "accounts/sign_in_code.html", context, status=400 if form.errors else 200
    )


def _keeps_its_address_private(view):
    """Let a page whose address is a key pass on the site's origin at most, never its path, and
    keep it out of search indexes."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        # Not "no-referrer", as the private feed has: with it, browsers send `Origin: null` with
        # the page's own form, which the CSRF check refuses. "strict-origin" sends the origin
        # alone (over HTTPS), to the site and to anyone else.
        response["Referrer-Policy"] = "strict-origin"
        response["X-Robots-Tag"] = "noindex"
        return response

    return wrapped


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@_keeps_its_address_private
def sign_in_link(request, token):
    """Show a sign-in email's link: a "Sign in" button, and nothing used up (mail scanners and
    prefetchers open links); sign in on its POST."""
    sign_in = email_sign_in_lookup(token=token)
    if sign_in is None or not sign_in.is_live(at=timezone.now()):
        status = 404 if sign_in is None else 410
        return _sign_in_ended(request, sign_in, status=status, by_link=True)
    if request.method == "POST":
        signed_in = email_sign_in_use(sign_in=sign_in)
        if signed_in is None:
            sign_in.refresh_from_db()
            return _sign_in_ended(request, sign_in, status=410, by_link=True)
        return _signed_in(request, sign_in, signed_in.user, created=signed_in.created)
    return render(request, "accounts/sign_in_link.html", {"sign_in": sign_in})


def _signed_in(request, sign_in, user, *, created):
    """Log the reader in with the site's backend, as a password log-in does, and send them on."""
    auth_login(request, user, backend=password_backend())
    request.session.pop(SESSION_SIGN_IN_KEY, None)
    if created:
        reader_signed_up.send(
            sender=sign_in_link, request=request, user=user, newsletter=sign_in.newsletter
        )
        messages.success(request, "Welcome! Your account is ready.")
    else:
        messages.success(request, "You are logged in.")
    return redirect(sign_in.next_path or settings.LOGIN_REDIRECT_URL)


def _sign_in_ended(request, sign_in, *, status, by_link=False):
    """Say that a sign-in link or code no longer works (or never did), and why."""
    if sign_in is None:
        reason = "none"
    elif sign_in.ending:
        reason = sign_in.ending
    elif sign_in.expires_at <= timezone.now():
        reason = "expired"
    else:
        reason = "refused"  # no account to sign in to (closed, or its address changed)
    context = {"reason": reason, "by_link": by_link, "minutes": SIGN_IN_MINUTES}
    return render(request, "accounts/sign_in_ended.html", context, status=status)
