"""Log-in, sign-up and password flows for readers (and staff, who log in the same way)."""

import unicodedata
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts.backends import password_backend
from accounts.forms import LogInForm, ReaderPasswordResetForm, SignUpForm
from accounts.services import reader_sign_up
from accounts.signals import reader_signed_up
from accounts.throttling import SIGNUP_WINDOW_SECONDS, signup_counted, signups_paused
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
            reader_signed_up.send(sender=sign_up, request=request, user=user)
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
