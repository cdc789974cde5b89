import pytest
from django.http import HttpResponse

from newsroom.middleware import ResponsePolicyMiddleware
from subscriptions.meter import METER_COOKIE
from subscriptions.paywall import build_reader, decide_article_access, meter_record_read
from tests.factories import make_article
from tests.subscriptions.factories import article_request

pytestmark = pytest.mark.django_db


def article_view(article):
    def view(request):
        reader = build_reader(request)
        decision = decide_article_access(article=article, reader=reader)
        meter_record_read(request=request, reader=reader, article=article, decision=decision)
        return HttpResponse("full" if decision.granted else "preview")

    return view


def test_middleware_writes_the_cookie_a_view_staged():
    response = ResponsePolicyMiddleware(article_view(make_article()))(article_request())
    assert response.content == b"full"
    assert response.cookies[METER_COOKIE]["httponly"]


def test_middleware_sets_nothing_when_the_meter_is_unchanged():
    view = article_view(make_article(access="subscribers"))
    response = ResponsePolicyMiddleware(view)(article_request())
    assert response.content == b"preview"
    assert not response.cookies
