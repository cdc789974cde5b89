"""The article form's publishing times: said in the site's time zone, and checked as typed.

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


class ArticleForm(forms.ModelForm):
    """The article's own fields in the admin (the layout is `ArticleAdmin`'s)."""

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
        publish, unpublish = cleaned.get("published_at"), cleaned.get("unpublish_at")
        changed = {"published_at", "unpublish_at"} & set(self.changed_data)
        if unpublish is None or not changed:
            return cleaned
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
        return cleaned
