import unicodedata
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from newsroom.forms import InvalidFormStatusMixin
from subscriptions import services
from subscriptions.forms import LogInForm, SignUpForm
from subscriptions.meter import meter_period, registered_reads
from subscriptions.models import Plan, Subscription

# Sign-up logs the new reader in without a password check, so it names the backend itself.
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


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


def _with_next(url_name, next_url, *args):
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
        context["signup_url"] = _with_next("signup", context["next"])
        return context


log_in = ReaderLoginView.as_view()


class PasswordChangeView(InvalidFormStatusMixin, auth_views.PasswordChangeView):
    pass


class PasswordResetView(InvalidFormStatusMixin, auth_views.PasswordResetView):
    pass


class PasswordResetConfirmView(InvalidFormStatusMixin, auth_views.PasswordResetConfirmView):
    pass


@sensitive_post_parameters("password1", "password2")
@never_cache
def sign_up(request):
    next_url = next_path(request)
    if request.user.is_authenticated:
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    form = SignUpForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            user = services.reader_sign_up(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                name=form.cleaned_data["name"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            auth_login(request, user, backend=MODEL_BACKEND)
            messages.success(request, "Welcome! Your account is ready.")
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    context = {"form": form, "next": next_url, "login_url": _with_next("login", next_url)}
    return render(request, "registration/signup.html", context, status=400 if form.errors else 200)


@login_required
@never_cache
def account(request):
    now = timezone.now()
    subscription = services.current_subscription(user=request.user, at=now)
    context = {
        "subscription": subscription,
        "entitled": subscription is not None and subscription.entitles(at=now),
        "can_cancel": subscription is not None and subscription.can_cancel(at=now),
        "reads_used": len(registered_reads(user_id=request.user.pk, period=meter_period(at=now))),
        "reads_limit": settings.NEWSROOM_METER_REGISTERED,
    }
    return render(request, "subscriptions/account.html", context)


@login_required
@never_cache
def cancel(request):
    now = timezone.now()
    subscription = services.current_subscription(user=request.user, at=now)
    if subscription is None or not subscription.can_cancel(at=now):
        messages.info(request, "You have no subscription to cancel.")
        return redirect("account")
    if request.method != "POST":
        return render(
            request, "subscriptions/subscription_cancel.html", {"subscription": subscription}
        )
    services.subscription_cancel(subscription=subscription, at=now)
    if subscription.entitles(at=now):
        end = date_format(timezone.localtime(subscription.current_period_end), "j F Y")
        messages.success(
            request, f"Your subscription is cancelled. You can read everything until {end}."
        )
    else:
        messages.success(request, "Your subscription is cancelled.")
    return redirect("account")


def subscribe(request):
    now = timezone.now()
    is_subscriber = (
        request.user.is_authenticated
        and Subscription.objects.filter(user=request.user).entitling(at=now).exists()
    )
    context = {
        "plans": Plan.objects.active(),
        "next": next_path(request),
        "is_subscriber": is_subscriber,
    }
    return render(request, "subscriptions/plan_list.html", context)


@never_cache
def checkout(request, slug):
    plan = get_object_or_404(Plan.objects.active(), slug=slug)
    if not request.user.is_authenticated:
        return redirect(_with_next("signup", request.get_full_path()))
    next_url = next_path(request)
    done_url = next_url or resolve_url(settings.LOGIN_REDIRECT_URL)
    if request.method != "POST":
        if Subscription.objects.filter(user=request.user).entitling(at=timezone.now()).exists():
            messages.info(request, "You already have a subscription.")
            return redirect(done_url)
        context = {
            "plan": plan,
            "next": next_url,
            "trial_days": services.trial_days_for(user=request.user, plan=plan),
            "has_payment_provider": services.payment_provider() is not None,
        }
        return render(request, "subscriptions/checkout.html", context)
    try:
        started = services.checkout_start(
            user=request.user,
            plan=plan,
            success_url=request.build_absolute_uri(done_url),
            cancel_url=request.build_absolute_uri(_with_next("subscribe", next_url)),
        )
    except services.SubscriptionError as error:
        messages.info(request, str(error))
        return redirect(done_url)
    if started.redirect_url:
        return redirect(started.redirect_url)
    messages.success(request, _started_message(started.subscription))
    return redirect(done_url)


def _started_message(subscription):
    end = date_format(timezone.localtime(subscription.current_period_end), "j F Y")
    if subscription.status == Subscription.Status.TRIALING:
        started = f"Your free trial of {subscription.plan} has started; it runs until {end}."
    else:
        started = f"Your {subscription.plan} subscription is active until {end}."
    return f"{started} No payment was taken: this site runs without a payment provider."
