from subscriptions.meter import meter_apply_to_response


class MeterCookieMiddleware:
    """Write the anonymous meter cookie a view staged (a read, or a carry-over on log-in)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        return meter_apply_to_response(request=request, response=response)
