"""Autosave: what a person typed into an article's change form and has not saved yet.

The change form's script posts the form here every few seconds while it has unsaved edits, and
once more when its tab is hidden (closed, switched away from, the laptop shut), so that neither
a timeout nor a closed tab loses a long body. Opening the form again offers the edits back; the
form is then shown filled in with them, for its author to review and save. Nothing here touches
the article: an autosave is the author's own, one a person and article, and a save deletes it.

Who may autosave an article is who may change it (`ArticleAdmin.has_change_permission`); the
admin view asks before calling these.
"""

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone

from .models import Article, ArticleAutosave

# What the form posts that is not what was typed.
NOT_TYPED = {"csrfmiddlewaretoken", "discard"}


def autosave_max_bytes() -> int:
    """Return the largest autosave accepted, in bytes of the posted form."""
    return settings.NEWSROOM_AUTOSAVE_MAX_BYTES


def autosave_keep(*, by, article: Article | None, form_data: QueryDict) -> ArticleAutosave:
    """Keep what `by` has typed into the form of `article` (None: a new article), replacing
    what was kept before."""
    data = {name: form_data.getlist(name) for name in form_data if name not in NOT_TYPED}
    autosave, _created = ArticleAutosave.objects.update_or_create(
        user=by, article=article, defaults={"data": data, "saved_at": timezone.now()}
    )
    return autosave


def autosave_find(*, by, article: Article | None) -> ArticleAutosave | None:
    """Return what `by` typed into the form of `article` (None: a new article) and did not save."""
    return ArticleAutosave.objects.filter(user=by, article=article).first()


def autosave_discard(*, by, article: Article | None) -> None:
    """Forget what `by` typed into the form of `article` (None: a new article): it was saved,
    or they chose not to keep it."""
    ArticleAutosave.objects.filter(user=by, article=article).delete()


def autosave_form_data(autosave: ArticleAutosave) -> QueryDict:
    """Return the kept form as the form would post it, to show the form filled in with it."""
    form_data = QueryDict(mutable=True)
    for name, values in autosave.data.items():
        form_data.setlist(str(name), [str(value) for value in values])
    return form_data
