"""How django-axes recognises the account behind a failed log-in."""

from django.contrib.auth import get_user_model


def axes_username(request, credentials):
    """Return the email address tried, in lower case; set AXES_USERNAME_CALLABLE to this.

    Every Django log-in form (the site's and the admin's) passes the address as `username`,
    while axes, left alone, looks for the user model's USERNAME_FIELD ("email") and finds
    nothing: all failures then share one bucket and no account is ever locked. And email log-in
    ignores case, so `Reader@x` and `reader@x` must share one count.
    """
    credentials = credentials or {}
    username = credentials.get("username") or credentials.get(get_user_model().USERNAME_FIELD)
    if username is None and request is not None:
        username = request.POST.get("username")
    return username.strip().lower() if isinstance(username, str) else None
