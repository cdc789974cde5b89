"""The email provider's webhooks: django-anymail's views, its URL module loaded at the first call.

`anymail.urls` imports every provider's webhook module and what each needs (svix for Resend, a
quarter of a second; boto3 for Amazon SES), so including it in the site's URLs made every web
process pay for them at its first request, though only the provider's own calls ever use one.
Here the site's URLs send /anymail/… to `webhook`, which looks the rest of the address up in
`anymail.urls` when a webhook first arrives: the same addresses and views as `include` gives.
"""

from django.http import Http404
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt  # the provider signs its calls (or sends basic auth): anymail's views check that
def webhook(request, endpoint):
    """Answer /anymail/`endpoint` ("resend/tracking/") with anymail's view for it."""
    try:
        match = resolve(f"/{endpoint}", urlconf="anymail.urls")
    except Resolver404:
        raise Http404("No email provider's webhook has this address.") from None
    return match.func(request, *match.args, **match.kwargs)
