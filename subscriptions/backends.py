"""The site's log-in backend, by the name sessions were made with.

Every session records the dotted path of the backend that logged it in, and Django ends a session
whose backend is no longer in `AUTHENTICATION_BACKENDS`: this name stays so that no reader is
logged out by a release. What it does is `accounts.backends.KeptUserBackend`'s.
"""

from accounts.backends import KeptUserBackend


class ReaderBackend(KeptUserBackend):
    """`KeptUserBackend`, under the name the site's sessions carry."""
