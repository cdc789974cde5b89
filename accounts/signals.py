"""Signals `accounts` sends for other apps to act on; `accounts` itself depends on nothing."""

from django.dispatch import Signal

# Sent by `accounts.views.sign_up` once a reader's account exists and they are logged in,
# with `request` and `user`.
reader_signed_up = Signal()
