"""`run.py --editor`: the newsroom's day under the readers' load, an editor saving the article
they read every few seconds.

Run as `manage.py shell -c "from benchmarks.editor import main; main(2)"` in the stack's
environment: it logs an editor in with Django's test client and saves the paywalled article of
the benchmark (the preview and the subscriber's page) through its admin change form, as a
browser posts it, with one word of its body changed (the typical save: the article's own page
is built again, no list moves). It stops on SIGTERM and prints what it did as JSON.
"""

import json
import signal
import time

from django.contrib.auth import get_user_model
from django.test import Client

from benchmarks.prepare import HOST, paywalled_article
from tests.articles.admin.posting import change_form_data, change_url

UPDATED = " (Updated.)</p>"  # added to the first paragraph, then taken away, save by save


def main(seconds: float) -> None:
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    article = paywalled_article()
    editor = get_user_model().objects.filter(is_superuser=True).first()
    client = Client(HTTP_HOST=HOST)
    client.force_login(editor)
    saves, failed, took = 0, [], []
    next_save = time.monotonic()
    while not stopping:
        started = time.monotonic()
        data = change_form_data(client, article)
        text = next(key for key in data if "textblock" in key and key.endswith("-text"))
        body = data[text][0]
        if UPDATED in body:
            data[text][0] = body.replace(UPDATED, "</p>", 1)
        else:
            data[text][0] = body.replace("</p>", UPDATED, 1)
        response = client.post(change_url(article), data)
        took.append(time.monotonic() - started)
        saves += 1
        if response.status_code != 302:
            failed.append(response.status_code)
        next_save += seconds
        while not stopping and time.monotonic() < next_save:
            time.sleep(0.05)
    took.sort()
    print(
        json.dumps(
            {
                "saves": saves,
                "failed": failed,
                "median_ms": round(1000 * took[len(took) // 2]) if took else None,
            }
        )
    )
