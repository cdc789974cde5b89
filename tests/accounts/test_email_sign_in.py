"""Sign-in by email over HTTP: one email with a link and a code, one credential, for 15 minutes,
used once; scanners that open the link use nothing; no answer tells whether an account exists;
wrong codes are failed log-ins (`accounts.email_sign_in`)."""

import logging
import re
import statistics
import threading
import time
from datetime import timedelta

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.backends import password_backend
from accounts.email_sign_in import email_sign_in_issue
from accounts.models import EmailSignIn, User
from foundation.models import OutboxMessage
from tests.factories import make_article, paragraphs
from tests.subscriptions.factories import PASSWORD, make_reader, page_text

pytestmark = pytest.mark.django_db

ASKED = "If there is an account for"
SCANNER = "Mozilla/5.0 (compatible; Microsoft Outlook Safe Links; +https://aka.ms/safelinks)"
LOCKOUT = "Too many failed log-in attempts."
LINK = re.compile(r"https?://[^/\s]+(/login/link/[A-Za-z0-9_-]+/)")
CODE = re.compile(r"^(\d{6})$", re.MULTILINE)


def ask(client, email, *, page="login", name="", **meta):
    """Press "Email me a sign-in link" on the log-in or the sign-up form, as a browser sends it."""
    if page == "login":
        data = {"username": email, "password": ""}
    else:
        data = {"email": email, "name": name, "password1": "", "password2": ""}
        data["purpose"] = "sign-up"
    return client.post(reverse("sign_in_email"), data, **meta)


def link_and_code(email):
    """The link's path and the code in a sign-in email."""
    return LINK.search(email.body)[1], CODE.search(email.body)[1]


def type_code(client, code):
    return client.post(reverse("sign_in_code"), {"code": code})


def signed_in_as(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def wrong(code):
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture
def reader():
    return make_reader(email="ada@example.com", name="Ada")


# Asking ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("form", "purpose"), [("login", None), ("signup", "sign-up")])
def test_the_log_in_and_sign_up_forms_offer_a_sign_in_link_beside_the_password(
    client, form, purpose
):
    html = client.get(reverse(form)).content.decode()
    button = re.search(r"<button[^>]*>Email me a sign-in link</button>", html)[0]
    assert f'formaction="{reverse("sign_in_email")}"' in button
    assert "formnovalidate" in button  # the password may stay empty
    assert (f'value="{purpose}"' in button) == bool(purpose)
    assert 'aria-describedby="sign-in-email-help"' in button and 'id="sign-in-email-help"' in html


def test_asking_sends_one_email_with_a_link_and_a_code_through_the_outbox(
    client, reader, mailoutbox
):
    response = ask(client, "ADA@example.com")

    assert (response.status_code, response["Location"]) == (302, reverse("sign_in_code"))
    page = client.get(reverse("sign_in_code"))
    assert f"{ASKED} ADA@example.com, we have sent it an email" in page_text(page)
    [email] = mailoutbox
    assert email.to == ["ada@example.com"]  # the account's address, as it is stored
    assert email.subject == "Your sign-in link for The Daily Newsroom"
    path, code = link_and_code(email)
    assert email.body.count(code) == 1 and "15 minutes" in email.body
    sign_in = EmailSignIn.objects.get()
    message = OutboxMessage.objects.get()
    assert message.event_key == f"email-sign-in:{sign_in.pk}"
    assert message.status == OutboxMessage.Status.SENT
    assert message.text == ""  # the link and the code are not kept once sent
    # Neither is stored: a copy of the database signs nobody in.
    assert path.split("/")[-2] not in str(EmailSignIn.objects.values().get())
    assert code not in str(EmailSignIn.objects.values().get())


def test_the_page_of_its_own_asks_for_the_address_and_says_what_is_wrong(client):
    page = client.get(reverse("sign_in_email") + "?next=/articles/a-story/")
    assert page.status_code == 200
    assert '<input type="hidden" name="next" value="/articles/a-story/">' in page.content.decode()

    for email, problem in [("", "Type your email address"), ("not-an-email", "valid email")]:
        response = client.post(reverse("sign_in_email"), {"email": email})
        assert response.status_code == 400
        assert problem in page_text(response)
    assert not EmailSignIn.objects.exists()


# Signing in -----------------------------------------------------------------------------------


def test_scanners_that_open_the_link_use_nothing_and_the_readers_click_signs_in(reader, mailoutbox):
    ask(Client(), reader.email, HTTP_X_FORWARDED_FOR="ignored")
    path, _code = link_and_code(mailoutbox[0])

    for _ in range(3):  # Safe Links, a second pass, a prefetch: no cookies, no button pressed
        scanner = Client(headers={"User-Agent": SCANNER})
        response = scanner.get(path)
        assert response.status_code == 200
        assert "_auth_user_id" not in scanner.session
    assert Client(headers={"User-Agent": SCANNER}).head(path).status_code == 200
    assert EmailSignIn.objects.get().ended_at is None

    elsewhere = Client()  # the reader's phone: not the browser that asked
    page = elsewhere.get(path)
    assert re.search(
        r'<button type="submit" class="button">Sign in</button>', page.content.decode()
    )
    assert "Sign in to The Daily Newsroom as ada@example.com" in page_text(page)
    response = elsewhere.post(path)

    assert (response.status_code, response["Location"]) == (302, reverse("account"))
    assert signed_in_as(elsewhere) == reader
    assert "You are logged in." in page_text(elsewhere.get(reverse("account")))
    sign_in = EmailSignIn.objects.get()
    assert sign_in.ending == EmailSignIn.Ending.SIGNED_IN


def test_the_code_is_typed_on_the_page_the_request_led_to_and_sends_the_reader_on(
    client, reader, mailoutbox
):
    client.post(
        reverse("sign_in_email"),
        {"username": reader.email, "password": "", "next": "/articles/a-story/"},
    )
    _path, code = link_and_code(mailoutbox[0])

    response = type_code(client, f"{code[:3]} {code[3:]}")  # as people copy it

    assert (response.status_code, response["Location"]) == (302, "/articles/a-story/")
    assert signed_in_as(client) == reader


def test_the_session_is_the_sites_own_and_the_address_is_verified(client, reader, mailoutbox):
    assert reader.email_verified_at is None
    ask(client, reader.email)
    type_code(client, link_and_code(mailoutbox[0])[1])

    assert client.session[BACKEND_SESSION_KEY] == password_backend()
    reader.refresh_from_db()
    assert reader.email_verified_at is not None
    assert reader.last_login is not None
    # The kept-value layer and Django's session check take it as any log-in.
    assert "Your account" in page_text(client.get(reverse("account")))
    reader.set_password("a-new-password-2026")
    reader.save()  # a changed password ends this session too, as it ends any
    client.get(reverse("account"))
    assert signed_in_as(client) is None


@pytest.mark.parametrize("first", ["link", "code"])
def test_the_link_and_the_code_are_one_credential(reader, mailoutbox, first):
    asker = Client()
    ask(asker, reader.email)
    path, code = link_and_code(mailoutbox[0])
    if first == "link":
        assert Client().post(path).status_code == 302
        again = type_code(asker, code)
        assert again.status_code == 410
        assert "This sign-in code no longer works" in page_text(again)
    else:
        assert type_code(asker, code).status_code == 302
        for method in (Client().get, Client().post):
            again = method(path)
            assert again.status_code == 410
            assert "It has been used already" in page_text(again)


def test_a_link_works_once(reader, mailoutbox):
    ask(Client(), reader.email)
    path, _code = link_and_code(mailoutbox[0])
    assert Client().post(path).status_code == 302
    late = Client()
    assert late.post(path).status_code == 410
    assert "_auth_user_id" not in late.session


def test_neither_works_after_15_minutes(reader, mailoutbox):
    import time_machine

    asker = Client()
    ask(asker, reader.email)
    path, code = link_and_code(mailoutbox[0])
    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=1), tick=False):
        link = Client().get(path)
        assert link.status_code == 410
        assert "It has expired: a link and its code work for 15 minutes." in page_text(link)
        assert Client().post(path).status_code == 410
        assert type_code(asker, code).status_code == 410
    assert "_auth_user_id" not in asker.session


def test_a_newer_email_ends_the_older_one(reader, mailoutbox):
    asker = Client()
    ask(asker, reader.email)
    ask(asker, "Ada@Example.com")
    (old_path, old_code), (new_path, _new_code) = map(link_and_code, mailoutbox)

    assert "A newer sign-in email was sent" in page_text(Client().get(old_path))
    assert type_code(asker, old_code).status_code == 400  # not this page's code
    assert Client().post(new_path).status_code == 302


def test_a_made_up_link_finds_nothing_and_says_so(client):
    for token in ("x" * 43, "x" * 200):
        response = client.get(reverse("sign_in_link", args=[token]))
        assert response.status_code == 404
        assert "Check that you opened the whole link" in page_text(response)


def test_the_code_page_without_a_request_sends_the_reader_to_ask(client):
    page = client.get(reverse("sign_in_code"))
    assert page.status_code == 200 and "No sign-in email waiting" in page_text(page)
    assert type_code(client, "123456").status_code == 400


@pytest.mark.parametrize("typed", ["12345", "1234567", "abcdef", "", "１２３４５６"])
def test_a_code_that_is_not_six_digits_is_a_typo_not_a_guess(client, reader, mailoutbox, typed):
    ask(client, reader.email)
    response = type_code(client, typed)
    assert response.status_code == 400
    assert "6" in page_text(response) and "digit" in page_text(response)
    assert EmailSignIn.objects.get().wrong_codes == 0


# Wrong codes ----------------------------------------------------------------------------------


def test_wrong_codes_are_failed_log_ins_and_the_fifth_locks_the_code_and_the_account(
    reader, mailoutbox, settings
):
    assert settings.AXES_FAILURE_LIMIT == 5
    asker = Client()
    ask(asker, reader.email)
    path, code = link_and_code(mailoutbox[0])

    for _ in range(4):
        response = type_code(asker, wrong(code))
        assert response.status_code == 400
        assert "That is not the code we sent." in page_text(response)
    response = type_code(asker, wrong(code))
    assert response.status_code == 429 and LOCKOUT in page_text(response)

    sign_in = EmailSignIn.objects.get()
    assert (sign_in.wrong_codes, sign_in.ending) == (5, EmailSignIn.Ending.WRONG_CODES)
    assert type_code(asker, code).status_code == 410  # the right code, too late
    assert "A wrong code was typed too many times" in page_text(Client().get(path))
    assert Client().post(path).status_code == 410
    # The account is paused for passwords too, as after five wrong passwords.
    password = Client().post(reverse("login"), {"username": reader.email, "password": PASSWORD})
    assert password.status_code == 429
    assert "_auth_user_id" not in asker.session


def test_the_code_is_locked_after_five_wrong_ones_even_below_the_accounts_limit(
    reader, mailoutbox, settings
):
    settings.AXES_FAILURE_LIMIT = 50
    asker = Client()
    ask(asker, reader.email)
    _path, code = link_and_code(mailoutbox[0])
    answers = [type_code(asker, wrong(code)).status_code for _ in range(5)]
    assert answers == [400, 400, 400, 400, 410]
    assert type_code(asker, code).status_code == 410
    assert "_auth_user_id" not in asker.session


def test_a_paused_account_takes_no_code_but_its_link_signs_in_and_lifts_the_pause(
    reader, mailoutbox, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(reverse("login"), {"username": reader.email, "password": "wrong-one"})
    asker = Client()
    ask(asker, reader.email)
    path, code = link_and_code(mailoutbox[0])

    refused = type_code(asker, code)
    assert refused.status_code == 429 and LOCKOUT in page_text(refused)
    assert "email yourself a sign-in link" in page_text(refused)
    assert EmailSignIn.objects.get().ended_at is None  # the refusal tried nothing

    reader_browser = Client()
    assert reader_browser.post(path).status_code == 302
    assert signed_in_as(reader_browser) == reader
    password = Client().post(reverse("login"), {"username": reader.email, "password": PASSWORD})
    assert password.status_code == 302


# No enumeration -------------------------------------------------------------------------------


def _shape(sql):
    """A query without its values: what work it is, not for whom."""
    return re.sub(r"'[^']*'|\b\d+(\.\d+)?\b|\bs\d+_x\d+\b|\bNULL\b", "?", sql)


def _asked(email, *, form):
    """Ask as a fresh browser would; return the answers, the code page and the queries."""
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = ask(client, email, page=form)
        seconds = time.perf_counter() - started
    # Read before the next request, which empties the connection's log.
    shapes = [_shape(query["sql"]) for query in queries.captured_queries]
    assert shapes  # the work is seen
    code_page = client.get(response["Location"]).content.decode()
    code_page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", code_page)
    return {
        "status": response.status_code,
        "location": response["Location"],
        "cookies": sorted(response.cookies),
        "page": code_page.replace(email, "EMAIL"),
        "queries": shapes,
        "seconds": seconds,
    }


@pytest.mark.parametrize("form", ["login", "signup"])
def test_an_address_without_an_account_gets_the_same_answer_and_the_same_work(form, reader):
    make_reader(email="bob@example.com")
    with_account, without = [], []
    for n in range(6):  # interleaved, so that the machine's load falls on both alike
        with_account.append(_asked("ada@example.com" if n % 2 else "bob@example.com", form=form))
        without.append(_asked(f"nobody{n}@example.com", form=form))

    for known, unknown in zip(with_account, without, strict=True):
        same = ("status", "location", "cookies", "page", "queries")
        assert {k: known[k] for k in same} == {k: unknown[k] for k in same}
    # The same queries take about the same time; a check of order, not a measurement.
    known_time = statistics.median(answer["seconds"] for answer in with_account)
    unknown_time = statistics.median(answer["seconds"] for answer in without)
    assert abs(known_time - unknown_time) < max(0.05, 0.5 * max(known_time, unknown_time))


def test_without_an_account_the_log_in_pages_email_says_how_to_sign_up_and_signs_nobody_in(
    mailoutbox,
):
    asker = Client()
    ask(asker, "nobody@example.com")
    [email] = mailoutbox
    assert email.to == ["nobody@example.com"]
    assert "there is no account with this address" in email.body
    assert "http://127.0.0.1:8000/signup/" in email.body
    assert not LINK.search(email.body) and not CODE.search(email.body)
    # The page takes codes as for anyone, and none signs in: five lock as for an account.
    answers = [type_code(asker, f"{n:06d}").status_code for n in range(5)]
    assert answers == [400, 400, 400, 400, 429]
    assert not User.objects.exists()


def test_a_first_sign_in_from_the_sign_up_page_makes_the_account(client, mailoutbox):
    ask(client, "New.Reader@Example.COM", page="signup", name="Nia Reader")
    [email] = mailoutbox
    assert email.to == ["New.Reader@example.com"]
    assert email.subject == "Confirm your address to create your The Daily Newsroom account"
    assert "We have sent an email to New.Reader@example.com" in page_text(
        client.get(reverse("sign_in_code"))
    )
    assert not User.objects.exists()  # nothing until the reader shows the address is theirs
    path, _code = link_and_code(email)
    assert "Make your The Daily Newsroom account" in page_text(Client().get(path))

    response = client.post(path)

    user = User.objects.get()
    assert (user.email, user.name) == ("New.Reader@example.com", "Nia Reader")
    assert not user.has_usable_password() and user.email_verified_at is not None
    assert signed_in_as(client) == user
    assert response["Location"] == reverse("account")
    assert "Welcome! Your account is ready." in page_text(client.get(reverse("account")))


def test_the_sign_up_pages_email_to_an_address_with_an_account_signs_into_it(
    client, reader, mailoutbox
):
    ask(client, reader.email, page="signup", name="Someone Else")
    [email] = mailoutbox
    assert email.subject == "Your sign-in link for The Daily Newsroom"
    type_code(client, link_and_code(email)[1])
    assert signed_in_as(client) == reader and User.objects.count() == 1
    reader.refresh_from_db()
    assert reader.name == "Ada"


def test_a_sign_up_by_email_carries_the_anonymous_reads_over_and_credits_a_gift(
    client, settings, mailoutbox
):
    from subscriptions.gifts import gift_create
    from subscriptions.models import GiftSignup, MeteredRead
    from tests.subscriptions.factories import make_subscription

    settings.NEWSROOM_METER_ANONYMOUS = 3
    blocks = [("text", paragraphs(3)), ("break",), ("text", "<p>Beyond.</p>")]
    first, second, gifted = (make_article(blocks=blocks) for _ in range(3))
    client.get(first.get_absolute_url())
    client.get(second.get_absolute_url())
    subscriber = make_subscription(user=make_reader()).user
    gift = gift_create(sender=subscriber, article=gifted)
    client.get(reverse("article_gift", kwargs={"token": gift.token}))

    ask(client, "nia@example.com", page="signup")
    client.post(link_and_code(mailoutbox[0])[0])

    user = User.objects.get(email="nia@example.com")
    assert MeteredRead.objects.filter(user=user).count() == 2
    assert GiftSignup.objects.filter(user=user, gift=gift).exists()


def test_a_log_in_by_email_carries_the_anonymous_reads_over(client, reader, settings, mailoutbox):
    from subscriptions.models import MeteredRead

    settings.NEWSROOM_METER_ANONYMOUS = 3
    blocks = [("text", paragraphs(3)), ("break",), ("text", "<p>Beyond.</p>")]
    client.get(make_article(blocks=blocks).get_absolute_url())
    ask(client, reader.email)
    type_code(client, link_and_code(mailoutbox[0])[1])
    assert MeteredRead.objects.filter(user=reader).count() == 1


# Accounts that changed ------------------------------------------------------------------------


def test_a_deactivated_account_is_sent_nothing_and_its_old_link_signs_nobody_in(reader, mailoutbox):
    ask(Client(), reader.email)
    path, _code = link_and_code(mailoutbox[0])
    User.objects.filter(pk=reader.pk).update(is_active=False)

    late = Client()
    assert late.post(path).status_code == 410
    assert "_auth_user_id" not in late.session
    ask(Client(), reader.email)
    assert len(mailoutbox) == 1


def test_an_email_to_an_address_the_account_no_longer_has_signs_nobody_in(reader, mailoutbox):
    ask(Client(), reader.email)
    path, _code = link_and_code(mailoutbox[0])
    reader.email = "ada.new@example.com"
    reader.save()

    late = Client()
    assert late.post(path).status_code == 410
    assert "_auth_user_id" not in late.session


def test_the_admin_clears_the_verification_when_the_address_changes(admin_client, reader):
    User.objects.filter(pk=reader.pk).update(email_verified_at=timezone.now())
    url = reverse("admin:accounts_user_change", args=[reader.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("password", "groups", "user_permissions")
    }
    data.update(
        email="ada.new@example.com",
        last_login_0="",
        last_login_1="",
        date_joined_0=reader.date_joined.strftime("%Y-%m-%d"),
        date_joined_1=reader.date_joined.strftime("%H:%M:%S"),
        email_verified_at_0=timezone.localtime(form.initial["email_verified_at"]).strftime(
            "%Y-%m-%d"
        ),
        email_verified_at_1=timezone.localtime(form.initial["email_verified_at"]).strftime(
            "%H:%M:%S"
        ),
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    reader.refresh_from_db()
    assert (reader.email, reader.email_verified_at) == ("ada.new@example.com", None)


# Limits ---------------------------------------------------------------------------------------

TOO_MANY = "We have sent as many sign-in emails to that address"


@pytest.mark.parametrize("has_account", [True, False], ids=["account", "no-account"])
def test_an_address_is_sent_a_few_emails_an_hour(settings, mailoutbox, has_account):
    settings.NEWSROOM_SIGN_IN_EMAILS_PER_ACCOUNT = 5
    if has_account:
        make_reader(email="ada@example.com")
    spellings = ["ada@example.com", "ADA@example.com", "Ada@Example.com"]
    for n in range(5):
        response = ask(Client(), spellings[n % 3], REMOTE_ADDR=f"192.0.2.{n + 1}")
        assert response.status_code == 302

    response = ask(Client(), "ada@example.com", REMOTE_ADDR="198.51.100.1")

    assert response.status_code == 429 and TOO_MANY in page_text(response)
    assert response["Retry-After"] == "3600"
    assert 'value="ada@example.com"' in response.content.decode()  # what was typed stays
    assert len(mailoutbox) == 5
    assert ask(Client(), "bob@example.com", REMOTE_ADDR="198.51.100.1").status_code == 302


def test_one_client_address_asks_for_a_limited_number_of_emails(settings, mailoutbox):
    settings.NEWSROOM_SIGN_IN_EMAILS_PER_ADDRESS = 3
    for n in range(3):
        assert ask(Client(), f"r{n}@example.com", REMOTE_ADDR="203.0.113.9").status_code == 302
    over = ask(Client(), "r9@example.com", REMOTE_ADDR="203.0.113.9")
    assert over.status_code == 429
    assert len(mailoutbox) == 3 and EmailSignIn.objects.count() == 3
    assert ask(Client(), "r9@example.com", REMOTE_ADDR="192.0.2.7").status_code == 302


# Logs and referrers ---------------------------------------------------------------------------


def test_the_token_and_the_code_reach_no_log(reader, mailoutbox, caplog):
    caplog.set_level(logging.DEBUG)
    asker = Client()
    ask(asker, reader.email)
    path, code = link_and_code(mailoutbox[0])
    token = path.split("/")[-2]
    reader_browser = Client()
    reader_browser.get(path)
    reader_browser.post(path)
    Client().get(path)  # used: 410
    Client().get(path.replace(token, token[::-1]))  # 404

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert token not in logged and code not in logged
    assert "GET /login/link/[token]/ 200" in logged
    assert "POST /login/link/[token]/ 302" in logged
    assert "GET /login/link/[token]/ 404" in logged


def test_the_links_page_passes_on_no_address_and_is_kept_by_nobody(reader, mailoutbox):
    ask(Client(), reader.email)
    path, _code = link_and_code(mailoutbox[0])
    browser = Client()
    answers = [
        browser.get(path),
        browser.post(path),
        Client().get(path),
        Client().get(reverse("sign_in_link", args=["x" * 43])),
    ]
    assert [answer.status_code for answer in answers] == [200, 302, 410, 404]
    for answer in answers:
        # The origin alone, never the path; not "no-referrer", which sends `Origin: null` with
        # the page's form (the browser test presses it).
        assert answer["Referrer-Policy"] == "strict-origin"
        assert answer["X-Robots-Tag"] == "noindex"
        assert "no-store" in answer["Cache-Control"]
    # Nothing on the page holds its address: the masthead's log-in link does not carry it on.
    for answer in (answers[0], answers[2]):
        assert path not in answer.content.decode()
        assert 'href="/login/">Log in</a>' in answer.content.decode()


# Races ----------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_presses_at_once_sign_in_once():
    reader = make_reader()
    issued = email_sign_in_issue(email=reader.email, purpose=EmailSignIn.Purpose.LOG_IN)
    path = reverse("sign_in_link", args=[issued.token])
    answers = []
    start = threading.Barrier(4)

    def press():
        client = Client()
        start.wait()
        answers.append(client.post(path).status_code)
        connection.close()

    threads = [threading.Thread(target=press) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [302, 410, 410, 410]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sign_ups_by_email_at_once_make_one_account():
    issued = [
        email_sign_in_issue(email="nia@example.com", purpose=EmailSignIn.Purpose.SIGN_UP)
        for _ in range(2)
    ]
    # Two emails, each made live again as if asked from two browsers.
    EmailSignIn.objects.update(ended_at=None, ending="")
    answers = []
    start = threading.Barrier(2)

    def press(token):
        start.wait()
        answers.append(Client().post(reverse("sign_in_link", args=[token])).status_code)
        connection.close()

    threads = [threading.Thread(target=press, args=[i.token]) for i in issued]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [302, 302] and User.objects.filter(email="nia@example.com").count() == 1


# Redis away -----------------------------------------------------------------------------------


@pytest.mark.faults
def test_with_redis_stopped_emails_are_still_limited_and_codes_still_lock(settings, mailoutbox):
    """The counts go on in each process's memory while Redis does not answer, as the log-in
    throttle's do (`accounts.throttling`): no flood of emails, no free guesses."""
    from foundation import cache as breaker
    from foundation import kept
    from tests.fault_services import RedisServer, caches_on

    server = RedisServer()
    server.start()
    try:
        settings.CACHES = caches_on(server.url, breaker_seconds=0.5)
        breaker.forget_outages()
        kept.forget_outage()
        settings.NEWSROOM_SIGN_IN_EMAILS_PER_ACCOUNT = 3
        reader = make_reader(email="ada@example.com")
        server.stop()

        asker = Client()
        answers = [ask(asker, reader.email).status_code for _ in range(4)]
        assert answers == [302, 302, 302, 429]
        assert len(mailoutbox) == 3
        _path, code = link_and_code(mailoutbox[-1])
        codes = [type_code(asker, wrong(code)).status_code for _ in range(5)]
        assert codes == [400, 400, 400, 400, 429]
        assert type_code(asker, code).status_code == 410
        assert "_auth_user_id" not in asker.session
    finally:
        server.stop()
        breaker.forget_outages()
        kept.forget_outage()
