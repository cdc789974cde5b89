"""Signals `accounts` sends for other apps to act on; `accounts` itself depends on nothing."""

from django.dispatch import Signal

# Sent by `accounts.views.sign_up`, and by a sign-in by email that made the account
# (`accounts.views.sign_in_link`, `sign_in_code`), once a reader's account exists and they are
# logged in, with `request`, `user` and `newsletter` (the slug of the newsletter they signed up
# for with the account, or "").
reader_signed_up = Signal()
