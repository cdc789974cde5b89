"""NUL bytes and bytes that are not UTF-8, anywhere a reader or an editor can put them.

Every URL pattern of the project (read from the URLconf: a route this test cannot fill in
fails it) is fetched with every parameter the site reads set to %00 and to %ff%fe, by an
anonymous reader, a subscriber and an editor. Every form readers and staff post (found on its
own page, with all its fields) is posted with each field ending in a NUL and in invalid
UTF-8: percent-encoded, and raw in a urlencoded and in a multipart body (which the article
editor's autosave sends). The answer must be a 4xx that says what was wrong, or an ordinary
2xx/3xx; never a 5xx. Run on PostgreSQL too: it refuses NUL in text, where SQLite stores it.
"""

import re
import uuid
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.email_sign_in import email_sign_in_issue
from accounts.models import EmailSignIn
from articles.autosave import autosave_keep
from articles.corrections import correction_save
from articles.models import Article, ArticleRevision, Correction
from articles.previews import preview_link_create
from articles.revisions import revision_record
from newsletters.models import Newsletter, NewsletterSend, NewsletterSubscription
from newsletters.subscribing import confirm_token, unsubscribe_token
from subscriptions.gifts import gift_create
from subscriptions.private_feeds import private_feed_create, private_feed_token
from tests.factories import make_article, make_author, make_image, make_section, make_tag
from tests.subscriptions.factories import PASSWORD, make_plan, make_reader, make_subscription

pytestmark = pytest.mark.django_db

NUL, NOT_UTF8 = "%00", "%ff%fe"
RAW = b"\x00\xff\xfe"
# Every query parameter a view or the admin reads.
PARAMETERS = [
    "q", "page", "p", "next", "as", "restore", "new", "a", "b", "o", "e",
    "_changelist_filters", "_to_field", "_popup", "status", "section__id__exact",
]  # fmt: skip
REFUSED = "could not be read"


# The site ---------------------------------------------------------------------------------


@pytest.fixture
def site(settings):
    settings.NEWSROOM_DEVELOPMENT_CHECKOUT = True
    settings.NEWSROOM_SEARCHES_PER_MINUTE = 10_000
    settings.NEWSROOM_SIGNUPS_PER_HOUR = 10_000
    settings.NEWSROOM_SIGN_IN_EMAILS_PER_ACCOUNT = 10_000
    settings.NEWSROOM_SIGN_IN_EMAILS_PER_ADDRESS = 10_000
    section = make_section(name="Harbour", slug="harbour")
    author = make_author(name="Ann Lee", slug="ann-lee")
    tag = make_tag(name="Ferries", slug="ferries")
    picture = make_image()
    article = make_article(
        headline="Ferry timetable changes",
        slug="ferry-timetable",
        section=section,
        authors=[author],
        tags=[tag],
        lead_image=picture,
        blocks=[
            ("text", "<p>One.</p><p>Two.</p>"),
            ("image", picture),
            ("break",),
            ("quote", "Three.", "A ferryman"),
            ("text", "<p>Four.</p>"),
        ],
    )
    editor = make_reader(is_staff=True, is_superuser=True)
    correction_save(correction=Correction(article=article, text="It is 7."), by=editor)
    subscriber = make_reader(name="Sue Scribe")
    plan = make_plan(slug="monthly")
    make_subscription(user=subscriber, plan=plan)
    make_plan(slug="monthly-lite", price=plan.price - 1)
    gift = gift_create(sender=subscriber, article=article)
    preview = preview_link_create(
        article=make_article(slug="a-draft", status=Article.Status.DRAFT), by=editor
    )
    reader = make_reader()
    sign_in = email_sign_in_issue(email=reader.email, purpose=EmailSignIn.Purpose.LOG_IN)
    # A newsletter with a reader on it and a send of the article, for their pages and tokens.
    newsletter = Newsletter.objects.create(name="Briefing", slug="briefing", description="Daily.")
    on_it = NewsletterSubscription.objects.create(newsletter=newsletter, email=reader.email)
    send = NewsletterSend.objects.create(newsletter=newsletter, article=article)
    # A revision to compare and restore, and an autosave to offer back.
    revision_record(article=article, by=editor)
    autosave_keep(by=editor, article=article, form_data=_query_dict({"headline": "Typed"}))
    return {
        "newsletter_send": send,
        "newsletter_subscription": on_it,
        "article": article,
        "section": section,
        "author": author,
        "tag": tag,
        "plan": plan,
        "gift": gift,
        "preview": preview,
        "private_feed": private_feed_token(feed=private_feed_create(user=subscriber)),
        "sign_in_link": sign_in.token,
        "editor": editor,
        "subscriber": subscriber,
        "reader": reader,
    }


def _query_dict(values):
    from django.http import QueryDict

    form_data = QueryDict(mutable=True)
    for name, value in values.items():
        form_data[name] = value
    return form_data


def clients(site):
    people = {"anonymous": Client()}
    # A sign-in email asked for, so that the page for its code has its form.
    people["anonymous"].post(reverse("sign_in_email"), {"email": "someone@example.com"})
    for who in ("subscriber", "reader", "editor"):
        people[who] = Client()
        people[who].force_login(site[who])
    return people


# Every route, filled in ---------------------------------------------------------------------


def _patterns(patterns=None, prefix=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


# Routes that are regular expressions, and a path each matches.
REGEX_ROUTES = {
    (
        "admin/^(?P<app_label>auth|foundation|media|articles|subscriptions|accounts|newsletters"
        "|insight)/$"
    ): "/admin/articles/",
    "admin/(?P<url>.*)$": "/admin/no-such-page/",
    "^uploads/(?P<path>.*)$": "/uploads/no-such-file.jpg",
}


def _admin_object(route):
    """The pk of an object of the model an admin route is about, e.g. admin/articles/tag/…"""
    from django.apps import apps

    app_label, model_name = route.split("/")[1:3]
    model = apps.get_model(app_label, model_name)
    first = model._default_manager.order_by("pk").first()
    return str(first.pk) if first else "1"


def _value(route, name, site):
    article, user = site["article"], site["reader"]
    values = {
        ("articles/", "slug"): article.slug,
        ("section/", "slug"): site["section"].slug,
        ("authors/", "slug"): site["author"].slug,
        ("tags/", "slug"): site["tag"].slug,
        ("subscribe/", "slug"): site["plan"].slug,
        ("prompt/", "article_id"): str(article.pk),
        ("prompt/", "button"): "subscribe",
        ("gift/", "token"): site["gift"].token,
        ("preview/", "token"): site["preview"].token,
        ("feed/private/", "token"): site["private_feed"],
        ("login/link/", "token"): site["sign_in_link"],
        ("account/gifts/", "pk"): str(site["gift"].pk),
        ("sitemap-", "section"): "articles",
        ("account/password/reset/", "uidb64"): urlsafe_base64_encode(force_bytes(user.pk)),
        ("account/password/reset/", "token"): default_token_generator.make_token(user),
        ("admin/", "persona"): "subscriber",
        ("admin/", "link_id"): str(site["preview"].pk),
        ("admin/", "revision_id"): str(ArticleRevision.objects.values_list("pk", flat=True)[0]),
        ("admin/accounts/user/", "id"): str(user.pk),
        ("admin/newsletters/", "pk"): str(site["newsletter_send"].pk),
        ("admin/newsletters/", "kind"): "subscriber",
        ("admin/newsletters/", "action"): "pause",
        ("anymail/", "endpoint"): "resend/tracking/",  # the provider the tests configure
        ("newsletters/join/", "slug"): "briefing",
        ("newsletters/confirm/", "token"): confirm_token(site["newsletter_subscription"]),
        ("newsletters/unsubscribe/", "token"): unsubscribe_token(
            site["newsletter_subscription"].pk
        ),
    }
    if route.startswith("admin/r/"):  # "view on site": a content type and an object
        from django.contrib.contenttypes.models import ContentType

        ids = {"content_type_id": ContentType.objects.get_for_model(Article).pk}
        return str(ids.get(name, article.pk))
    if route.startswith("admin/media/image/") and name == "pk":  # a picture's card
        return _admin_object(route)
    if route.startswith("admin/") and name == "object_id":
        return _admin_object(route)
    for (start, key), value in values.items():
        if route.startswith(start) and key == name:
            return value
    raise AssertionError(f"the bad-input test cannot fill in <{name}> of {route}: add it")


def route_paths(site):
    paths = []
    for route in _patterns():
        if route in REGEX_ROUTES:
            paths.append(REGEX_ROUTES[route])
            continue
        assert "(?P<" not in route, f"a regular expression the test does not know: {route}"
        names = re.findall(r"<(?:\w+:)?(\w+)>", route)
        path = re.sub(r"<(?:\w+:)?(\w+)>", "{}", route)
        paths.append("/" + path.format(*(_value(route, name, site) for name in names)))
    return paths


def bad_query(bad):
    return "&".join(f"{name}={bad}" for name in PARAMETERS) + f"&{bad}={bad}"


def assert_clear_or_ordinary(response, what):
    assert response.status_code < 500, f"{what}: {response.status_code}"
    if 400 <= response.status_code < 500 and response.status_code != 405:
        text = response.content.decode(errors="replace")
        assert text.strip() and "Bad Request (400)" not in text, f"{what}: an empty 4xx"
    return response


def test_the_search_says_what_was_wrong_with_the_query(client, site):
    for bad in (NUL, NOT_UTF8, "ferry%00", "caf%e9"):
        response = client.get(f"/search/?q={bad}")
        assert response.status_code == 400
        assert REFUSED in response.content.decode()


# Every form ---------------------------------------------------------------------------------


class Forms(HTMLParser):
    """The POST forms of a page: their action and fields as a browser would send them."""

    def __init__(self):
        super().__init__()
        self.forms, self.current, self.textarea, self.select = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method", "get").lower() == "post":
            self.current = {"action": attrs.get("action") or "", "fields": []}
            self.forms.append(self.current)
        if self.current is None or not attrs.get("name"):
            return
        name, kind = attrs["name"], attrs.get("type", "text")
        if tag == "input" and kind not in ("submit", "button", "image", "file", "reset"):
            chosen = kind not in ("checkbox", "radio") or "checked" in attrs
            first_radio = kind == "radio" and name not in dict(self.current["fields"])
            if chosen or first_radio:
                self.current["fields"].append([name, attrs.get("value") or "x"])
        elif tag == "textarea":
            self.textarea = [name, ""]
            self.current["fields"].append(self.textarea)
        elif tag == "select":
            self.select = [name, None]
        elif (
            tag == "option"
            and self.select is not None
            and (self.select[1] is None or "selected" in attrs)
        ):
            self.select[1] = attrs.get("value", "")

    def handle_data(self, data):
        if self.textarea is not None:  # a browser drops the newline that opens a textarea
            self.textarea[1] += data.removeprefix("\n") if not self.textarea[1] else data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select" and self.select is not None:
            if self.current is not None:
                self.current["fields"].append([self.select[0], self.select[1] or "1"])
            self.select = None


def forms_on(client, path):
    response = client.get(path, follow=True)
    assert response.status_code == 200, path
    page = Forms()
    page.feed(response.content.decode())
    where = response.request["PATH_INFO"]
    return [
        (urlsplit(form["action"]).path or where, form["fields"])
        for form in page.forms
        if form["fields"]
    ]


def urlencoded(fields, bad: bytes):
    return b"&".join(
        quote(name).encode() + b"=" + quote(value).encode() + bad for name, value in fields
    )


def multipart(fields, bad: bytes):
    boundary = uuid.uuid4().hex
    parts = [
        b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s%s\r\n'
        % (boundary.encode(), name.encode(), value.encode(), bad)
        for name, value in fields
    ]
    body = b"".join(parts) + b"--%s--\r\n" % boundary.encode()
    return body, f"multipart/form-data; boundary={boundary}"


def post_badly(client, action, fields, what):
    """Post `fields` to `action`, each value ending in a NUL or in invalid UTF-8, four ways."""
    form = "application/x-www-form-urlencoded"
    bodies = [
        (urlencoded(fields, b"%00"), form, "%00"),
        (urlencoded(fields, b"%ff%fe"), form, "%ff%fe"),
        (urlencoded(fields, RAW), form, "raw bytes"),
        (*multipart(fields, RAW), "raw bytes, multipart"),
    ]
    for body, content_type, how in bodies:
        response = client.generic("POST", action, body, content_type=content_type)
        assert_clear_or_ordinary(response, f"{what}: POST {action} with {how}")


def reader_forms(site):
    """(who, page) for every page with a form that readers or staff post."""
    reader = site["reader"]
    uid = urlsafe_base64_encode(force_bytes(reader.pk))
    token = default_token_generator.make_token(reader)
    return [
        ("anonymous", reverse("login")),
        ("anonymous", reverse("signup")),
        ("anonymous", reverse("sign_in_email")),
        ("anonymous", reverse("sign_in_code")),
        ("anonymous", reverse("sign_in_link", args=[site["sign_in_link"]])),
        ("anonymous", reverse("password_reset")),
        ("anonymous", reverse("password_reset_confirm", args=[uid, token])),
        ("subscriber", reverse("password_change")),
        ("subscriber", reverse("account")),
        ("subscriber", reverse("subscription_cancel")),
        ("subscriber", reverse("article_gift_create", args=[site["article"].slug])),
        ("subscriber", reverse("gifts_sent")),
        ("reader", reverse("checkout", args=[site["plan"].slug])),
        ("anonymous", reverse("admin:login")),
        ("editor", reverse("admin:articles_article_add")),
        ("editor", reverse("admin:articles_article_change", args=[site["article"].pk])),
    ]


def test_a_refused_request_says_why_and_is_logged_with_its_reference(client, site, caplog):
    response = client.post(
        reverse("login"),
        b"username=ann%00&password=x",
        content_type="application/x-www-form-urlencoded",
        headers={"X-Request-ID": "ref-nul-0123456789"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert REFUSED in page and "ref-nul-0123456789" in page
    assert "no-store" in response["Cache-Control"]
    assert any("POST /login/ 400" in record.getMessage() for record in caplog.records)


def test_ordinary_text_in_any_script_passes(client, site):
    response = client.get("/search/?q=" + quote("Zoë 李 ferry ‘quotes’ & more"))
    assert response.status_code == 200
    signup = client.post(
        reverse("signup"),
        {
            "email": "zoe@example.com",
            "name": "Zoë 李",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert signup.status_code == 302


# The walk -----------------------------------------------------------------------------------


def walk_routes(site, people):
    """Fetch every route with every parameter bad, as each kind of person, GET and POST."""
    paths = route_paths(site)
    assert len(paths) > 100  # the admin's routes too
    for who in ("anonymous", "subscriber", "editor"):
        client = people[who]
        for path in paths:
            for bad in (NUL, NOT_UTF8):
                for method in (client.get, client.post):
                    response = method(f"{path}?{bad_query(bad)}")
                    assert_clear_or_ordinary(response, f"{who} {method.__name__} {path} {bad}")


def walk_forms(site, people):
    """Post every form readers and staff post, every field bad, as whoever posts it."""
    posted = set()
    for who, page in reader_forms(site):
        client = people[who]
        found = forms_on(client, page)
        assert found, f"no form on {page}"
        for action, fields in found:
            if action in (reverse("logout"), reverse("admin:logout")):
                continue  # no fields but the token; it logs the client out for the rest
            post_badly(client, action, fields, f"{who} on {page}")
            posted.add(action)
    # The cancel page's switch to a cheaper plan, and the password reset's new password.
    assert reverse("subscription_switch_plan") in posted
    assert any(action.endswith("/set-password/") for action in posted)


def walk_autosaves(site, people):
    """Post the article editor's add and change forms to their autosaves, every field bad."""
    editor, article = people["editor"], site["article"]
    for form_page, autosave in [
        (reverse("admin:articles_article_add"), reverse("admin:articles_article_autosave_new")),
        (
            reverse("admin:articles_article_change", args=[article.pk]),
            reverse("admin:articles_article_autosave", args=[article.pk]),
        ),
    ]:
        _action, fields = max(forms_on(editor, form_page), key=lambda form: len(form[1]))
        post_badly(editor, autosave, fields, f"autosave of {form_page}")
        # The same form without the bad bytes is kept, as ever.
        response = editor.post(autosave, dict(fields))
        assert response.status_code == 200 and "saved_at" in response.json()


def test_no_route_form_or_autosave_answers_nul_or_invalid_utf8_with_a_5xx(site):
    people = clients(site)
    walk_routes(site, people)
    walk_forms(site, people)
    walk_autosaves(site, people)
