"""Refuse a request whose input cannot be text: a NUL byte, or bytes that are not UTF-8.

No one types either, and no page of ours sends them; a broken link or a probe does. Django
passes a NUL on to the view as it came, and the database then fails on it: PostgreSQL refuses
NUL in text and in JSON, so a NUL in a search or in an article's autosave was a 500. Bytes that
are not UTF-8 Django quietly replaces with U+FFFD, which is no better an answer to a link
that was damaged on its way. So both are refused once, with a 400 that says what was wrong.

Why one check here and not one per form: a form field that is a `CharField` already refuses
NUL, but much reads input without one (the search box, the autosave, the admin's choices of
related rows, `next`, `page`); one check before any of it runs covers every route and every
form, including those still to be written. Why not a middleware of its own: the stack's cost
is counted (a middleware's share of every page), and this check belongs to the outermost one,
`newsroom.request_log`, which costs a page nothing more than a look at its query string:
bodies are looked at only on a POST, which Django's CSRF check parses at once anyway.

What is looked at:
- the path and the query string, as the client sent them (percent-encoded or not);
- a urlencoded POST body, as it came;
- a multipart POST body's fields and file names, as Django parsed them: NUL only, since its
  parser has already replaced bytes that are not UTF-8 (what was typed is kept, with U+FFFD).
"""

from urllib.parse import unquote_to_bytes

NUL = "a NUL character (a zero byte), which is never part of text"
NOT_UTF8 = "bytes that are not text in UTF-8"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def _wsgi_bytes(text: str) -> bytes:
    # WSGI hands the query string over as its bytes read as Latin-1 (PEP 3333); ASGI as UTF-8.
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode()


def _encoded_problem(raw: bytes) -> str | None:
    """Why percent-encoded `raw` (a query string, a urlencoded body) is not text, or None."""
    if b"%" not in raw and raw.isascii() and b"\x00" not in raw:
        return None  # the common case: nothing to decode
    decoded = unquote_to_bytes(raw)
    if b"\x00" in decoded:
        return NUL
    try:
        decoded.decode()
    except UnicodeDecodeError:
        return NOT_UTF8
    return None


def request_input_problem(request) -> str | None:
    """Return what makes `request`'s input unreadable as text ("a NUL character …"), or None.

    A body Django cannot parse at all (too large, too many fields, a broken multipart) raises
    here as it would in the CSRF check a moment later, and Django answers it with 400.
    """
    if "\x00" in request.path_info:
        return NUL
    if problem := _encoded_problem(_wsgi_bytes(request.META.get("QUERY_STRING", ""))):
        return problem
    if request.method != "POST":
        return None
    if request.content_type == FORM:
        return _encoded_problem(request.body)
    if request.content_type == MULTIPART:
        for name, values in request.POST.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return NUL
        for name, files in request.FILES.lists():
            if "\x00" in name or any("\x00" in (file.name or "") for file in files):
                return NUL
    return None
