"""How the site answers a form that did not validate: 400 Bad Request, with what was typed.

Every form here redirects once it succeeds, so a form page sent back in answer to a POST is
one with errors on it; its status says so, for browsers, proxies, tests and logs alike.
"""


class InvalidFormStatusMixin:
    """For class-based form views: answer an invalid form with 400."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class InvalidFormStatusAdminMixin:
    """For ModelAdmins: answer an add or change form sent back with errors with 400."""

    def render_change_form(self, request, context, *args, **kwargs):
        response = super().render_change_form(request, context, *args, **kwargs)
        if request.method == "POST":  # a valid POST redirects and never renders the form
            response.status_code = 400
        return response
