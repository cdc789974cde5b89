"""The readers' side of newsletters: sign up, confirm an address, choose, leave.

- `/newsletters/`: every offered newsletter; a logged-in reader ticks boxes, anyone else types an
  address (double opt-in).
- `/newsletters/sign-up/`: where the address forms post, from this page, the article page and
  the paywall prompt. It takes no session and needs no CSRF token (article pages are shared by
  a cache, without one): it only ever acts on the address typed, by asking its owner to confirm.
- `/newsletters/confirm/<token>/`: GET shows a "Confirm" button, POST confirms.
- `/newsletters/unsubscribe/<token>/`: GET shows what pressing the button does and never
  unsubscribes; POST (the button, or a mail client's RFC 8058 one-click POST, with no session
  and no CSRF token) leaves that newsletter.
- `/account/newsletters/`: the logged-in reader's preferences.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from foundation.rates import address_over_rate
from subscriptions.funnel import newsletter_signed_up

from .forms import AddressSignUpForm, PreferencesForm
from .models import Newsletter, NewsletterSubscription
from .subscribing import (
    SignUpRefused,
    may_receive,
    newsletter_ask_confirmation,
    newsletter_confirm,
    newsletter_subscribe,
    newsletter_unsubscribe,
    newsletters_of,
    reader_set_newsletters,
    subscription_to_confirm,
    subscription_to_leave,
)

HOUR = 60 * 60
Source = NewsletterSubscription.Source


def _private(response):
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    # The address holds a key: never sent to another site. (Not "no-referrer": Chromium then
    # sends "Origin: null" with the page's own form, which the CSRF check refuses.)
    response["Referrer-Policy"] = "same-origin"
    return response


def _back_to(request) -> str:
    """Return the page a sign-up form came from (this site's own), else the newsletters page."""
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return reverse("newsletter_list")


@never_cache
def newsletter_list(request):
    """List the offered newsletters; a logged-in reader chooses theirs here (POST)."""
    offered = Newsletter.objects.filter(is_active=True)
    if request.user.is_authenticated:
        return _preferences(request, offered=offered, template="newsletters/newsletter_list.html")
    context = {"newsletters": offered, "form": AddressSignUpForm()}
    return render(request, "newsletters/newsletter_list.html", context)


@login_required
@never_cache
def account_newsletters(request):
    """Let a logged-in reader choose the newsletters they get."""
    offered = Newsletter.objects.filter(is_active=True)
    return _preferences(request, offered=offered, template="newsletters/preferences.html")


def _preferences(request, *, offered, template):
    user = request.user
    mine = newsletters_of(user=user)
    choosable = [
        newsletter for newsletter in offered if may_receive(newsletter=newsletter, user=user)
    ]
    others = [newsletter for newsletter in offered if newsletter not in choosable]
    queryset = offered.filter(pk__in=[newsletter.pk for newsletter in choosable])
    form = PreferencesForm(
        request.POST if request.method == "POST" else None,
        offered=queryset,
        initial={"newsletters": [pk for pk in mine if any(n.pk == pk for n in choosable)]},
    )
    if request.method == "POST" and form.is_valid():
        chosen = {newsletter.pk for newsletter in form.cleaned_data["newsletters"]}
        source = Source.ACCOUNT if template.endswith("preferences.html") else Source.PAGE
        reader_set_newsletters(user=user, newsletter_ids=chosen, source=source)
        messages.success(request, "Your newsletter choices are saved.")
        return redirect(request.path)
    context = {"newsletters": offered, "preferences": form, "for_subscribers": others}
    return render(request, template, context, status=400 if form.errors else 200)


@csrf_exempt  # acts only on the address typed, by asking its owner to confirm (module docstring)
@require_POST
def newsletter_sign_up(request):
    """Ask the owner of the address typed to confirm their sign-up (double opt-in)."""
    form = AddressSignUpForm(request.POST)
    if not form.is_valid():
        context = {"form": form, "newsletters": Newsletter.objects.filter(is_active=True)}
        return render(request, "newsletters/newsletter_list.html", context, status=400)
    limit = settings.NEWSROOM_NEWSLETTER_SIGNUPS_PER_HOUR
    if address_over_rate(request, name="newsletter-sign-up", limit=limit, per_seconds=HOUR):
        response = render(request, "newsletters/sign_up_done.html", {"paused": True}, status=429)
        response["Retry-After"] = str(HOUR)
        return response
    newsletter = form.cleaned_data["newsletter"]
    source = form.cleaned_data["source"]
    source = source if source in Source.values else Source.PAGE
    try:
        newsletter_ask_confirmation(
            newsletter=newsletter, email=form.cleaned_data["email"], source=source
        )
    except SignUpRefused as refusal:
        form.add_error(None, str(refusal))
        context = {"form": form, "newsletters": Newsletter.objects.filter(is_active=True)}
        return render(request, "newsletters/newsletter_list.html", context, status=400)
    _count_sign_up_on_an_article(request, source)
    context = {"newsletter": newsletter, "back": _back_to(request)}
    return _private(render(request, "newsletters/sign_up_done.html", context))


@login_required
@require_POST
def newsletter_join(request, slug):
    """Sign the logged-in reader up for one newsletter (the button on articles)."""
    newsletter = get_object_or_404(Newsletter, slug=slug)
    try:
        newsletter_subscribe(newsletter=newsletter, user=request.user, source=Source.ARTICLE)
    except SignUpRefused as refusal:
        messages.error(request, str(refusal))
    else:
        _count_sign_up_on_an_article(request, request.POST.get("source", Source.ARTICLE))
        messages.success(request, f"You will get {newsletter.name} at {request.user.email}.")
    return redirect(_back_to(request))


def _count_sign_up_on_an_article(request, source) -> None:
    """Count a sign-up made from an article's end or its wall (the paywall's insight)."""
    if source not in (Source.ARTICLE, Source.PAYWALL):
        return
    article = request.POST.get("article", "")
    article_id = int(article) if article.isdecimal() and len(article) < 10 else None
    newsletter_signed_up(request=request, place=source, article_id=article_id)


@require_http_methods(["GET", "POST"])
def newsletter_confirm_view(request, token):
    """Show a "Confirm" button (GET); confirm the sign-up when it is pressed (POST)."""
    subscription = subscription_to_confirm(token=token)
    if subscription is None:
        context = {"days": settings.NEWSROOM_NEWSLETTER_CONFIRM_DAYS}
        return _private(render(request, "newsletters/confirm_invalid.html", context, status=404))
    if request.method == "POST":
        newsletter_confirm(subscription=subscription)
        context = {"subscription": subscription, "confirmed": True}
        return _private(render(request, "newsletters/confirm.html", context))
    return _private(render(request, "newsletters/confirm.html", {"subscription": subscription}))


@csrf_exempt  # RFC 8058: a mail client posts with no session and no token; the link is the key
@require_http_methods(["GET", "POST"])
def newsletter_unsubscribe_view(request, token):
    """GET: say what the button does (never unsubscribes). POST: leave this newsletter only."""
    subscription = subscription_to_leave(token=token)
    if subscription is None:
        return _private(render(request, "newsletters/unsubscribe_invalid.html", status=404))
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        because = NewsletterSubscription.LeftBecause
        newsletter_unsubscribe(
            subscription_id=subscription.pk,
            because=because.ONE_CLICK if one_click else because.READER,
        )
        if one_click:
            # A mail client's request: a short answer is all it reads.
            return _private(HttpResponse("Unsubscribed.\n", content_type="text/plain"))
        context = {"subscription": subscription, "left": True}
        return _private(render(request, "newsletters/unsubscribe.html", context))
    return _private(render(request, "newsletters/unsubscribe.html", {"subscription": subscription}))
