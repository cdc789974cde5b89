"""Where a reader came from and on what, in a word: the only trace of a request an event keeps.

The Referer, the User-Agent and the `utm_` parameters are read once, when a batch of events is
handed over to be written (`insight.recording.classified`), and only their
class is kept (never the address). Classes follow the ones newsrooms know from their analytics:
a `utm_medium` says it outright; otherwise the referring site's host.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from insight.models import Device, Referrer

# Hosts by the end of their name ("google.com", "news.google.co.uk" both end in a Google one).
SEARCH_HOSTS = re.compile(
    r"(^|\.)(google\.[a-z.]+|bing\.com|duckduckgo\.com|search\.yahoo\.com|yahoo\.[a-z.]+|"
    r"ecosia\.org|baidu\.com|yandex\.[a-z.]+|search\.brave\.com|qwant\.com|startpage\.com|"
    r"kagi\.com)$"
)
SOCIAL_HOSTS = re.compile(
    r"(^|\.)(facebook\.com|fb\.me|t\.co|twitter\.com|x\.com|linkedin\.com|lnkd\.in|reddit\.com|"
    r"instagram\.com|threads\.net|bsky\.app|mastodon\.[a-z.]+|whatsapp\.com|telegram\.org|"
    r"t\.me|news\.ycombinator\.com|tiktok\.com|youtube\.com|pinterest\.[a-z.]+|flipboard\.com)$"
)
MAIL_HOSTS = re.compile(
    r"(^|\.)(mail\.google\.com|outlook\.live\.com|outlook\.office\.com|mail\.yahoo\.com|"
    r"mail\.proton\.me|fastmail\.com)$"
)
NEWSLETTER_MEDIA = {"email", "e-mail", "newsletter", "mail"}
SOCIAL_MEDIA = {"social", "social-media", "social_media", "sm"}
SEARCH_MEDIA = {"organic", "search", "cpc", "ppc", "paid-search", "paidsearch"}

MOBILE = re.compile(r"Mobi|iPhone|iPod|Android|Windows Phone|BlackBerry|Opera Mini")
TABLET = re.compile(r"iPad|Tablet|Kindle|Silk/|PlayBook|Android(?!.*Mobi)")


def referrer_class(*, referer: str, host: str, utm_medium: str = "", utm_source: str = "") -> str:
    """Return the `Referrer` class of a visit from its Referer, the site's host and its `utm_`
    parameters."""
    medium = utm_medium.strip().lower()
    if medium in NEWSLETTER_MEDIA:
        return Referrer.NEWSLETTER
    if medium in SOCIAL_MEDIA:
        return Referrer.SOCIAL
    if medium in SEARCH_MEDIA:
        return Referrer.SEARCH
    source = utm_source.strip().lower()
    if source:
        if "newsletter" in source or source in NEWSLETTER_MEDIA:
            return Referrer.NEWSLETTER
        if SOCIAL_HOSTS.search(source) or source in {"facebook", "twitter", "x", "linkedin"}:
            return Referrer.SOCIAL
    if not referer:
        return Referrer.DIRECT
    try:
        referring = (urlsplit(referer).hostname or "").lower()
    except ValueError:
        return Referrer.OTHER
    own = host.split(":")[0].lower()
    if not referring:
        return Referrer.OTHER
    if referring == own:
        return Referrer.INTERNAL
    if MAIL_HOSTS.search(referring):
        return Referrer.NEWSLETTER
    if SEARCH_HOSTS.search(referring):
        return Referrer.SEARCH
    if SOCIAL_HOSTS.search(referring):
        return Referrer.SOCIAL
    return Referrer.OTHER


def device_class(user_agent: str) -> str:
    """Return the `Device` class a User-Agent names."""
    if TABLET.search(user_agent):
        return Device.TABLET
    if MOBILE.search(user_agent):
        return Device.MOBILE
    return Device.DESKTOP
