from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.views import next_path, with_next
from subscriptions import services
from subscriptions.entitlement import has_entitling_subscription
from subscriptions.forms import CancellationForm, PlanSwitchForm
from subscriptions.funnel import PromptButton, checkout_started, prompt_clicked
from subscriptions.meter import meter_period, registered_reads
from subscriptions.models import Plan, Subscription
from subscriptions.private_feeds import (
    may_have_private_feed,
    private_feed_create,
    private_feed_of,
    private_feed_rotate,
    private_feed_token,
)


@login_required
@never_cache
def account(request):
    now = timezone.now()
    subscription = services.current_subscription(user=request.user, at=now)
    context = {
        "subscription": subscription,
        "entitled": subscription is not None and subscription.entitles(at=now),
        "can_cancel": subscription is not None and subscription.can_cancel(at=now),
        "can_resume": subscription is not None
        and services.can_resume(subscription=subscription, at=now),
        "reads_used": len(registered_reads(user_id=request.user.pk, period=meter_period(at=now))),
        "reads_limit": settings.NEWSROOM_METER_REGISTERED,
    }
    return render(request, "subscriptions/account.html", context | _private_feed(request, at=now))


def _private_feed(request, *, at) -> dict:
    """Return what the account page says of the reader's private feed: its address (made the
    first time a subscriber looks), or nothing for a reader who has none and is not offered one.
    """
    feed = private_feed_of(user=request.user)
    if feed is None and may_have_private_feed(user=request.user, at=at):
        feed = private_feed_create(user=request.user)
    if feed is None:
        return {}
    token = private_feed_token(feed=feed)
    url = token and request.build_absolute_uri(reverse("private_feed", kwargs={"token": token}))
    return {"private_feed": {"url": url}}


@login_required
@never_cache
@require_POST
def private_feed_new_address(request):
    """Give the reader's private feed a new address: the old one stops working at once."""
    if private_feed_of(user=request.user) is None and not may_have_private_feed(user=request.user):
        messages.info(request, "Private feeds are for subscribers.")
        return redirect("account")
    private_feed_rotate(user=request.user)
    messages.success(
        request,
        "Your private feed has a new address, below. The old one no longer works: "
        "give the new one to your feed reader.",
    )
    return redirect(f"{reverse('account')}#private-feed-heading")


def _nothing_to_cancel(subscription, *, at):
    if subscription is not None and subscription.entitles(at=at):
        end = _date(subscription.current_period_end)
        return f"Your subscription already ends on {end} and will not renew: nothing to cancel."
    return "You have no subscription to cancel."


@login_required
@never_cache
def cancel(request):
    now = timezone.now()
    subscription = services.current_subscription(user=request.user, at=now)
    if subscription is None or not subscription.can_cancel(at=now):
        messages.info(request, _nothing_to_cancel(subscription, at=now))
        return redirect("account")
    form = CancellationForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            services.subscription_cancel(
                subscription=subscription,
                reason=form.cleaned_data["reason"],
                text=form.cleaned_data["text"],
                at=now,
            )
        except services.SubscriptionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _cancelled_message(subscription, at=now))
            return redirect("account")
    return _cancel_page(request, subscription, form=form, switch_form=None)


@login_required
@never_cache
@require_POST
def switch_plan(request):
    """Move a reader who was about to cancel to a cheaper plan instead."""
    now = timezone.now()
    subscription = services.current_subscription(user=request.user, at=now)
    if subscription is None or not subscription.can_cancel(at=now):
        messages.info(request, "You have no subscription to change.")
        return redirect("account")
    form = PlanSwitchForm(request.POST)
    if form.is_valid():
        try:
            services.subscription_switch_plan(
                subscription=subscription, plan=form.cleaned_data["plan"], at=now
            )
        except services.SubscriptionError as error:
            form.add_error("plan", str(error))
        else:
            messages.success(request, _switched_message(subscription))
            return redirect("account")
    return _cancel_page(request, subscription, form=CancellationForm(), switch_form=form)


@login_required
@never_cache
@require_POST
def resume(request):
    now = timezone.now()
    subscription = services.current_subscription(user=request.user, at=now)
    if subscription is None or not services.can_resume(subscription=subscription, at=now):
        messages.info(request, "You have no cancelled subscription to resume.")
        return redirect("account")
    try:
        services.subscription_resume(subscription=subscription, at=now)
    except services.SubscriptionError as error:
        messages.error(request, str(error))
    else:
        end = _date(subscription.current_period_end)
        messages.success(request, f"Your subscription is resumed. It renews on {end}.")
    return redirect("account")


def _cancel_page(request, subscription, *, form, switch_form):
    context = {
        "subscription": subscription,
        "form": form,
        "switch_form": switch_form,
        "cheaper_plans": services.cheaper_plans(subscription=subscription),
    }
    # Only a form sent back with errors answers a POST with a page (foundation/forms.py).
    status = 400 if request.method == "POST" else 200
    return render(request, "subscriptions/subscription_cancel.html", context, status=status)


def _cancelled_message(subscription, *, at):
    if subscription.entitles(at=at):
        return (
            "Your subscription is cancelled. You can read everything until "
            f"{_date(subscription.current_period_end)}, and resume it until then."
        )
    return "Your subscription is cancelled."


def _switched_message(subscription):
    plan = subscription.plan
    if subscription.source == Subscription.Source.PROVIDER:
        return f"Your plan is now {plan.name}, at {plan.price_label}."
    return (
        f"Your plan is now {plan.name}: from {_date(subscription.current_period_end)} "
        f"you pay {plan.price_label}."
    )


def _date(moment):
    return date_format(timezone.localtime(moment), "j F Y")


def subscribe(request):
    now = timezone.now()
    is_subscriber = request.user.is_authenticated and has_entitling_subscription(
        user_id=request.user.pk, at=now
    )
    context = {
        "plans": Plan.objects.active(),
        "next": next_path(request),
        "is_subscriber": is_subscriber,
        "checkout_available": services.checkout_available(),
    }
    return render(request, "subscriptions/plan_list.html", context)


# Where each of the paywall prompt's buttons leads.
PROMPT_DESTINATIONS = {
    PromptButton.SUBSCRIBE: "subscribe",
    PromptButton.LOG_IN: "login",
    PromptButton.SIGN_UP: "signup",
    PromptButton.NEWSLETTER: "signup",
}


@never_cache
def prompt_click(request, article_id, button):
    """Count a click on a button of the paywall's prompt, then go where it leads (with the
    article to return to, and the newsletter a sign-up is for)."""
    if button not in PROMPT_DESTINATIONS:
        raise Http404("No such button.")
    prompt_clicked(request=request, article_id=article_id, button=button)
    url = with_next(PROMPT_DESTINATIONS[button], next_path(request))
    newsletter = request.GET.get("newsletter", "")
    if button == PromptButton.NEWSLETTER and newsletter:
        url += ("&" if "?" in url else "?") + urlencode({"newsletter": newsletter})
    return redirect(url)


@never_cache
def checkout(request, slug):
    plan = get_object_or_404(Plan.objects.active(), slug=slug)
    if not services.checkout_available():
        # A page that says so, before asking a stranger to sign up for it. 200, not 503: nothing
        # failed, and a CDN or load balancer may put its own error page in place of a 5xx (and
        # monitoring pages someone). never_cache keeps it out of shared caches, so it is gone
        # the moment payments are wired.
        return render(request, "subscriptions/checkout.html", {"plan": plan})
    if not request.user.is_authenticated:
        return redirect(with_next("signup", request.get_full_path()))
    next_url = next_path(request)
    done_url = next_url or resolve_url(settings.LOGIN_REDIRECT_URL)
    if request.method != "POST":
        if has_entitling_subscription(user_id=request.user.pk, at=timezone.now()):
            messages.info(request, "You already have a subscription.")
            return redirect(done_url)
        context = {
            "plan": plan,
            "checkout_available": True,
            "next": next_url,
            "trial_days": services.trial_days_for(user=request.user, plan=plan),
            "has_payment_provider": services.payment_provider() is not None,
        }
        return render(request, "subscriptions/checkout.html", context)
    checkout_started(request=request)
    try:
        started = services.checkout_start(
            user=request.user,
            plan=plan,
            success_url=request.build_absolute_uri(with_next("checkout_return", next_url)),
            cancel_url=request.build_absolute_uri(with_next("subscribe", next_url)),
        )
    except services.SubscriptionError as error:
        messages.info(request, str(error))
        return redirect(done_url)
    if started.redirect_url:
        return redirect(started.redirect_url)
    messages.success(request, _started_message(started.subscription))
    return redirect(done_url)


@login_required
@never_cache
def checkout_return(request):
    """Thank a reader back from the provider's checkout, then take them where they were.

    Nothing is granted here: access comes only from the provider's webhook, which may arrive a
    moment after the reader does.
    """
    if has_entitling_subscription(user_id=request.user.pk, at=timezone.now()):
        messages.success(request, "Thank you — your subscription is active.")
    else:
        messages.success(
            request,
            "Thank you — your subscription is being set up; it will be active in a moment.",
        )
    return redirect(next_path(request) or settings.LOGIN_REDIRECT_URL)


@login_required
@require_POST
def billing_portal(request):
    """Send a reader who pays through the provider to its page for cards, plans, invoices."""
    provider = services.payment_provider()
    pays_through_provider = Subscription.objects.filter(
        user=request.user, source=Subscription.Source.PROVIDER
    ).exists()
    if provider is None or not pays_through_provider:
        messages.info(request, "There are no payments to manage for this account.")
        return redirect("account")
    try:
        url = provider.portal_url(
            user=request.user, return_url=request.build_absolute_uri(reverse("account"))
        )
    except services.SubscriptionError as error:
        messages.error(request, str(error))
        return redirect("account")
    return redirect(url)


def _started_message(subscription):
    end = date_format(timezone.localtime(subscription.current_period_end), "j F Y")
    if subscription.status == Subscription.Status.TRIALING:
        started = f"Your free trial of {subscription.plan} has started; it runs until {end}."
    else:
        started = f"Your {subscription.plan} subscription is active until {end}."
    return f"{started} No payment was taken: this site runs without a payment provider."
