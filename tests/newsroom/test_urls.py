"""The order of the URL patterns is for speed only: no address is matched by two of them."""

from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, resolve, reverse

EXAMPLES = {"slug": "a-slug", "int": 7, "str": "news", "path": "a/b"}


def named_patterns(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from named_patterns(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def converters(pattern):
    found = pattern.pattern.converters.items()
    return {name: type(converter).__name__ for name, converter in found}


def example_kwargs(pattern):
    kinds = {
        "SlugConverter": "slug",
        "IntConverter": "int",
        "StringConverter": "str",
        "PathConverter": "path",
    }
    return {name: EXAMPLES[kinds[kind]] for name, kind in converters(pattern).items()}


def test_every_named_address_resolves_to_its_own_pattern():
    checked = 0
    for name, pattern in named_patterns(get_resolver().url_patterns):
        if not pattern.pattern.converters and "(?P<" in str(pattern.pattern):
            continue  # a bare regular expression (the admin's): no examples to make
        try:
            path = reverse(name, kwargs=example_kwargs(pattern))
        except NoReverseMatch:  # a regular expression the examples do not fit (the admin's)
            continue
        match = resolve(path)
        assert f"{':'.join(match.namespaces)}:{match.url_name}".lstrip(":") == name, path
        checked += 1
    assert checked > 40


def test_the_article_page_is_the_first_pattern_tried():
    first = get_resolver().url_patterns[0]
    assert isinstance(first, URLResolver)
    assert first.url_patterns[0].name == "article"
