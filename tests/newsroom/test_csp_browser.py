"""The Content-Security-Policy in Chromium: nothing on the site or in the admin is refused,
and the editors still work under it."""

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from articles.models import Article
from tests.admin_editor import add_block, choose
from tests.factories import (
    make_article,
    make_author,
    make_image,
    make_section,
    make_staff,
    paragraphs,
)
from tests.subscriptions.factories import PASSWORD, make_plan, make_reader, make_subscription

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Chromium writes each refusal to the console; this adds where it came from, for the failure.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => console.error(
  `Content Security Policy refused (${e.effectiveDirective}): ${e.blockedURI || "inline"}`
  + ` from ${e.sourceFile}:${e.lineNumber}`
));
"""
# What the Editor group may do with articles and pictures (articles/migrations/0004), given
# directly: a flush between transactional tests can leave the test database without the group.
EDITOR_PERMISSIONS = (
    [
        f"{app}.{action}_{model}"
        for app, models in {
            "articles": [
                "article",
                "textblock",
                "imageblock",
                "quoteblock",
                "paywallbreak",
                "byline",
            ],
            "media": ["image"],
        }.items()
        for model in models
        for action in ("add", "change", "delete", "view")
    ]
    + [f"articles.view_{model}" for model in ("section", "author", "tag")]
    + [
        "articles.publish_article"  # an editor: changes any article, not only their own drafts
    ]
)


@pytest.fixture
def refusals(page):
    """Collect what the browser reports refusing under the policy, and any script error."""
    seen = []
    page.add_init_script(REPORT_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            seen.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: seen.append(f"{page.url}: uncaught {error}"))
    return seen


def visit(page, url):
    response = page.goto(url)
    assert response.status < 400, f"{url} answered {response.status}"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")  # every script has run, every picture loaded


def log_in(page, url, email, password=PASSWORD):
    page.goto(url)
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    # By its name: the site's log-in form also has "Email me a sign-in link".
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_load_state()


def test_readers_pages_run_under_the_policy(live_server, page, refusals, settings):
    settings.NEWSROOM_DEVELOPMENT_CHECKOUT = True
    make_plan(name="Monthly", slug="monthly")
    article = make_article(
        headline="The quay gets a second life",
        access=Article.Access.SUBSCRIBERS,
        lead_image=make_image(),
        blocks=[
            ("text", paragraphs(2)),
            ("image", make_image()),
            ("break",),
            ("text", "<p>The rest, for subscribers.</p>"),
        ],
    )
    make_subscription(user=make_reader(email="reader@example.com"))
    site = live_server.url

    for path in ["/", "/search/?q=quay", "/login/", "/signup/", "/subscribe/"]:
        visit(page, site + path)
    visit(page, site + article.get_absolute_url())
    expect(page.locator(".paywall-prompt")).to_be_visible()
    # The paywall's JSON-LD is a data block: CSP does not govern it, and it stays.
    expect(page.locator("script[type='application/ld+json']")).to_have_count(1)
    expect(page.locator(".article__body figure img")).to_have_count(1)

    log_in(page, f"{site}/login/", "reader@example.com")
    visit(page, site + article.get_absolute_url())
    expect(page.locator(".article__body")).to_contain_text("The rest, for subscribers.")
    picture = page.locator(".article__body figure img")
    picture.scroll_into_view_if_needed()
    # Not wait_for_function: the policy refuses the eval() it polls with.
    expect(picture).to_have_js_property("complete", True)
    assert picture.evaluate("img => img.naturalWidth") > 0
    visit(page, f"{site}/account/")
    visit(page, f"{site}/subscribe/monthly/")
    assert refusals == [], "\n".join(refusals)


def test_the_editors_work_under_the_policy(live_server, page, refusals):
    make_staff(*EDITOR_PERMISSIONS, email="editor@example.com")
    make_section(name="Harbour", slug="harbour")
    make_author(name="Ann Lee", slug="ann-lee")
    picture = make_image(caption="Boats at the old quay")
    existing = make_article(headline="Yesterday's tide", lead_image=make_image())
    site = live_server.url

    log_in(page, f"{site}/admin/login/", "editor@example.com", "staff-password-123")
    visit(page, f"{site}/admin/")
    visit(page, f"{site}/admin/articles/article/")
    visit(page, f"{site}/admin/media/image/")
    visit(page, f"{site}/admin/media/image/{picture.pk}/change/")
    visit(page, f"{site}/admin/articles/article/{existing.pk}/change/")
    expect(page.locator("#articles_textblock_set-0 [contenteditable=true]")).to_be_visible()

    visit(page, f"{site}/admin/articles/article/add/")
    page.fill("#id_headline", "The quay gets a second life")
    page.fill("#id_standfirst", "Fishermen and cafés share the old harbour.")
    choose(page, "id_section", "Harbour")
    choose(page, "id_bylines-0-author", "Ann Lee")
    add_block(page, "Text")
    page.click("#articles_textblock_set-0 [contenteditable=true]")
    page.keyboard.type("The old quay was nearly demolished in the spring.")
    add_block(page, "Image")
    choose(page, "id_articles_imageblock_set-0-image", "Boats at the old quay")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    saved = Article.objects.get(headline="The quay gets a second life")
    assert "nearly demolished in the spring" in saved.articles_textblock_set.get().text
    assert saved.articles_imageblock_set.get().image == picture
    assert refusals == [], "\n".join(refusals)


@pytest.mark.parametrize("payment_origin_allowed", [True, False])
def test_checkout_leaves_for_the_payment_page_only_if_the_policy_names_it(
    live_server, page, refusals, settings, stripe_stand_in, payment_origin_allowed
):
    """Browsers apply form-action to the redirect that answers a form, so the payment
    provider's pages must be named there (NEWSROOM_CSP_PAYMENT_ORIGINS; Stripe's by default)."""
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    form_action = ["'self'", stripe_stand_in.url] if payment_origin_allowed else ["'self'"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {**directives, "form-action": form_action}}
    make_plan(name="Monthly", slug="monthly")
    call_command("sync_plans", stdout=io.StringIO())  # the plan's price at the stand-in
    make_reader(email="reader@example.com")
    log_in(page, f"{live_server.url}/login/", "reader@example.com")

    page.goto(f"{live_server.url}/subscribe/monthly/")
    page.get_by_role("button", name="Continue to payment").click()

    if payment_origin_allowed:
        expect(page).to_have_url(re.compile(rf"^{re.escape(stripe_stand_in.url)}/c/pay/"))
        assert refusals == [], "\n".join(refusals)
    else:
        for _ in range(50):  # Chromium reports the refusal in a moment
            if any("form-action" in refusal for refusal in refusals):
                break
            page.wait_for_timeout(100)
        assert any("form-action" in refusal for refusal in refusals), refusals
        assert not page.url.startswith(stripe_stand_in.url)
