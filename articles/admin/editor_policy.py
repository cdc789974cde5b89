"""What the Content-Security-Policy allows the article editor beyond the site-wide policy.

The policy itself is in settings (`CONTENT_SECURITY_POLICY`): no inline script or style. The
article change form is the one page that needs more, for its editors' own code:

- django-content-editor and django-prose-editor name their ES modules through an inline
  `<script type="importmap">`. It is rendered with this request's nonce (the same `'nonce-…'`
  is in this response's header), so it runs and nothing injected does.
- Their scripts each add one fixed `<style>` element: content-editor's rules for the block
  list, Tiptap's base rules for the text editor. Script-made elements cannot carry a nonce, so
  those two stylesheets are allowed by their hashes, on this page only. An upgrade that changes
  either makes `tests/newsroom/test_csp_browser.py` fail with the new hash in Chromium's message.
"""

from csp.constants import HEADER
from js_asset import Media

from foundation.content_policy import content_security_policy

EDITOR_STYLE_HASHES = [
    "'sha256-iQkg4CW9pkVM9zuO+Zu+xOrTcRsfEQ3Ic342wxe/yik='",  # django-content-editor 9.1.0
    "'sha256-PlumsSlvJ7vvWzjqibGAYKq92O3y/4JTxWWsWJvyUYA='",  # django-prose-editor 0.28.0 (Tiptap)
]


class EditorPolicyAdminMixin:
    """For the ModelAdmin whose change form has the block and text editors."""

    def render_change_form(self, request, context, *args, **kwargs):
        context["media"] = Media.from_media(context["media"], nonce=request.csp_nonce)
        response = super().render_change_form(request, context, *args, **kwargs)
        response[HEADER] = content_security_policy(
            request, update={"style-src-elem": ["'self'", *EDITOR_STYLE_HASHES]}
        )
        return response
