"""The article's form in the admin: its publishing times, the editor's send-back note, and the
version it was loaded from.

The admin types times in the site's `TIME_ZONE`; Django stores them in UTC. Each time field
says which zone it is typed in, and what the saved time is there and in UTC ("Thursday 4
December 2026, 09:00 Europe/London (08:00 UTC)"), so an embargo set from another country is
not an hour out. Each of the split date and time inputs has its own accessible name.
"""

from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceField
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from articles import revisions
from articles.models import Article
from articles.services import describe_time

# The time fields, and what their date and time inputs are called for screen readers
# (`ArticleAdmin.clock_nouns`).
TIME_FIELDS = {"published_at": "Publish", "unpublish_at": "Unpublish"}
# The review controls' button that sends an article in review back with the note.
SEND_BACK = "_send_back"


class HeldRowField(ModelChoiceField):
    """A foreign key's field that takes the row its form's object holds (read with it, by a
    `select_related`) when the posted id is the one saved, where Django's own field reads that
    row again on every save. A newly chosen row is read as Django reads it."""

    holder = None  # (the form's object, the field's name): set by `hold_rows`

    def to_python(self, value):
        if self.holder is None:
            return super().to_python(value)
        instance, name = self.holder
        attname = instance._meta.get_field(name).attname
        row = None
        if value not in self.empty_values and str(value) == str(getattr(instance, attname)):
            row = getattr(instance, name)
        if row is None:
            row = super().to_python(value)  # None, or a row found in the field's queryset
        # Found, it exists: the model's validation need not look for it again
        # (`articles.models.ChosenRowsChecked`).
        checked = set(getattr(instance, "rows_checked", ()))
        if row is not None:
            checked.add(name)
        else:
            checked.discard(name)
        instance.rows_checked = checked
        return row


def hold_rows(form) -> None:
    """Tell each `HeldRowField` of `form` the object whose rows it may take."""
    for name, field in form.fields.items():
        if isinstance(field, HeldRowField):
            field.holder = (form.instance, name)


class ArticleForm(forms.ModelForm):
    """The article's own fields in the admin (the layout is `ArticleAdmin`'s), the note an
    editor writes when sending it back, and the version of the article the form showed.

    A save from a form older than the article is refused, naming who saved it since and when,
    with everything typed still in the form; saving that form again replaces their version
    (which stays in the revisions).
    """

    loaded_version = forms.CharField(widget=forms.HiddenInput, required=False)

    send_back_note = forms.CharField(
        label="Note for the journalist",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What should change before it is published. The journalist sees this note "
        "on the article and in the list.",
    )

    class Meta:
        model = Article
        fields = list(TIME_FIELDS)  # the admin gives the full list (its fieldsets)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["loaded_version"].initial = self.instance.updated_at.isoformat()
        self.later_save = None
        hold_rows(self)  # the section and lead image, read with the article (`get_queryset`)
        zone = timezone.get_current_timezone_name()
        for name in TIME_FIELDS:
            field = self.fields.get(name)  # absent when read-only (no publish permission)
            if field is None:
                continue
            saved = getattr(self.instance, name, None)
            said = f"Saved: {describe_time(saved)}. " if saved else ""
            field.help_text = (
                f"{Article._meta.get_field(name).help_text} {said}Type it in {zone}, the "
                "site's time zone (TIME_ZONE); it is stored in UTC."
            )

    def save(self, commit=True):
        article = super().save(commit=commit)
        if not commit:  # the admin's way: `save_m2m` runs once the article is saved
            save_m2m = self.save_m2m

            def save_changed_m2m():
                # Django's `set` reads the tags again to compare them with the form's; the
                # form compared them already (`changed_data`), and unchanged they need no write.
                many = [f.name for f in Article._meta.many_to_many if f.name in self.fields]
                if set(many) & set(self.changed_data):
                    save_m2m()

            self.save_m2m = save_changed_m2m
        return article

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
        self._refuse_stale_save(cleaned)
        if SEND_BACK in self.data:
            self._clean_send_back(cleaned)
            return cleaned
        self._clean_status(cleaned)
        self._clean_times(cleaned)
        return cleaned

    def _clean_send_back(self, cleaned):
        was = self.instance.status if self.instance.pk else None
        if was != Article.Status.REVIEW:
            raise forms.ValidationError(
                "It is no longer in review, so it cannot be sent back; reload the page to "
                "see where it is."
            )
        if not cleaned.get("send_back_note", "").strip():
            self.add_error(
                "send_back_note",
                "Write a note for the journalist: what should change before it is published?",
            )

    def _clean_status(self, cleaned):
        was = self.instance.status if self.instance.pk else None
        status = cleaned.get("status")  # only editors have the field (see get_readonly_fields)
        if was == Article.Status.REVIEW and status == Article.Status.DRAFT:
            self.add_error(
                "status",
                "To give it back to the journalist, write a note under “Send back to the "
                "journalist” and press that button.",
            )
        elif was == Article.Status.PUBLISHED and status == Article.Status.REVIEW:
            self.add_error(
                "status", "A published article goes back to review as a draft: unpublish it first."
            )

    def _clean_times(self, cleaned):
        publish, unpublish = cleaned.get("published_at"), cleaned.get("unpublish_at")
        changed = {"published_at", "unpublish_at"} & set(self.changed_data)
        if unpublish is None or not changed:
            return
        if "unpublish_at" in changed and unpublish <= timezone.now():
            self.add_error(
                "unpublish_at",
                forms.ValidationError(
                    "An unpublish time must be in the future (%(now)s now); to take the "
                    "article down at once, set its status to Draft.",
                    code="past",
                    params={"now": describe_time(timezone.now())},
                ),
            )
        elif publish is not None and unpublish <= publish:
            self.add_error(
                "unpublish_at",
                forms.ValidationError(
                    "The unpublish time must be after the publish time (%(publish)s).",
                    code="before_publish",
                    params={"publish": describe_time(publish)},
                ),
            )

    # Stale saves (articles.revisions)

    def _refuse_stale_save(self, cleaned):
        version = cleaned.get("loaded_version")
        if self.instance.pk is None or version is None:
            return
        later = revisions.article_changed_since(article_id=self.instance.pk, version=version)
        if later is None:
            return
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
