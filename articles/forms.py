"""The article's form in the admin: its publishing times, and the editor's send-back note.

The admin types times in the site's `TIME_ZONE`; Django stores them in UTC. Each time field
says which zone it is typed in, and what the saved time is there and in UTC ("Thursday 4
December 2026, 09:00 Europe/London (08:00 UTC)"), so an embargo set from another country is
not an hour out. Each of the split date and time inputs has its own accessible name.
"""

from django import forms
from django.utils import timezone

from .models import Article
from .services import describe_time

# The time fields, and what their date and time inputs are called for screen readers.
TIME_FIELDS = {"published_at": "Publish", "unpublish_at": "Unpublish"}
# The review controls' button that sends an article in review back with the note.
SEND_BACK = "_send_back"


class ArticleForm(forms.ModelForm):
    """The article's own fields in the admin (the layout is `ArticleAdmin`'s), and the note an
    editor writes when sending it back."""

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
        zone = timezone.get_current_timezone_name()
        for name, noun in TIME_FIELDS.items():
            field = self.fields.get(name)  # absent when read-only (no publish permission)
            if field is None:
                continue
            if isinstance(field.widget, forms.MultiWidget):  # the admin's split date and time
                for subwidget, part in zip(field.widget.widgets, ("date", "time"), strict=True):
                    subwidget.attrs["aria-label"] = f"{noun} {part} ({zone})"
            saved = getattr(self.instance, name, None)
            said = f"Saved: {describe_time(saved)}. " if saved else ""
            field.help_text = (
                f"{Article._meta.get_field(name).help_text} {said}Type it in {zone}, the "
                "site's time zone (TIME_ZONE); it is stored in UTC."
            )

    def clean(self):
        cleaned = super().clean()
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
