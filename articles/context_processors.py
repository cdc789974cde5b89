from django.conf import settings


def publication(request):
    """Give every template the publication's name."""
    return {"publication_name": settings.NEWSROOM_PUBLICATION_NAME}
