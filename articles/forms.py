from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from . import revisions
from .models import Article

# Stale saves (articles.revisions) -------------------------------------------------------------


class ArticleForm(forms.ModelForm):
    """The article's change form, which remembers the version of the article it showed.

    A save from a form older than the article is refused, naming who saved it since and when,
    with everything typed still in the form; saving that form again replaces their version
    (which stays in the revisions).
    """

    loaded_version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Article
        fields = []  # the admin names the fields (its fieldsets)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["loaded_version"].initial = self.instance.updated_at.isoformat()
        self.later_save = None

    def clean_loaded_version(self):
        value = self.cleaned_data["loaded_version"]
        if not value:
            return None  # a form from before versions were sent: nothing to compare with
        try:
            version = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(
                "This form was damaged on its way: reload the page.", code="invalid"
            ) from None
        return version if timezone.is_aware(version) else None

    def clean(self):
        cleaned = super().clean()
        version = cleaned.get("loaded_version")
        if self.instance.pk is None or version is None:
            return cleaned
        later = revisions.article_changed_since(article_id=self.instance.pk, version=version)
        if later is None:
            return cleaned
        self.later_save = later
        # Saving this form again is a choice made knowing theirs: it then carries their version.
        self.data = self.data.copy()
        self.data[self.add_prefix("loaded_version")] = later.version.isoformat()
        raise ValidationError(self._stale_message(later), code="stale")

    def _stale_message(self, later):
        when = timezone.localtime(later.at)
        today = when.date() == timezone.localdate()
        at = f"at {when:%H:%M}" if today else f"on {when:%d %b %Y} at {when:%H:%M}"
        compare = ""
        if later.opened is not None and later.latest is not None and later.opened != later.latest:
            url = (
                reverse("admin:articles_article_revision_compare", args=[self.instance.pk])
                + f"?a={later.opened.pk}&b={later.latest.pk}"
            )
            compare = format_html(
                ' <a href="{}" target="_blank">See what they changed</a> (opens in a new tab).',
                url,
            )
        return format_html(
            "{} saved this article {}, after you opened it. Nothing you typed is saved yet, "
            "and it is all still below.{} Save again to replace their version with yours "
            "(theirs stays in the revisions), or reload the page to start again from theirs.",
            later.who,
            at,
            compare,
        )
