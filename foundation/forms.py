"""How the site answers a form that did not validate: 400 Bad Request, with what was typed.

Every form here redirects once it succeeds, so a form page sent back in answer to a POST is
one with errors on it; its status says so, for browsers, proxies, tests and logs alike.

Times in the admin are typed on the site's clock (`ClockTimeField`).
"""

from datetime import datetime

from django import forms
from django.contrib.admin.widgets import (
    AdminSplitDateTime,
    BaseAdminDateWidget,
    BaseAdminTimeWidget,
)
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst


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


def clock_parts(value) -> list:
    """A stored time as the admin shows it: the date and time on the site's clock, and the
    instant itself, which tells apart the two 01:30s of the night the clocks go back."""
    if value is None:
        return [None, None, None]
    local = timezone.localtime(value)
    return [local.date(), local.time(), value.isoformat()]


class ClockTimeWidget(AdminSplitDateTime):
    """The admin's date and time inputs, with the instant they show kept beside them.

    Its template is in `foundation/templates`: the form renderer reads the apps' templates."""

    template_name = "admin/widgets/clock_time.html"

    def __init__(self, attrs=None):
        forms.MultiWidget.__init__(
            self, [BaseAdminDateWidget, BaseAdminTimeWidget, forms.HiddenInput], attrs
        )

    def decompress(self, value):
        return clock_parts(value)

    def name_parts(self, noun: str):
        """Give the date and time inputs their accessible names, with the zone they are in."""
        zone = timezone.get_current_timezone_name()
        for subwidget, part in zip(self.widgets, ("date", "time"), strict=False):
            subwidget.attrs["aria-label"] = f"{noun} {part} ({zone})"


class ClockTimeHiddenWidget(forms.MultiWidget):
    """`ClockTimeWidget`'s three parts as hidden inputs (a form's record of the initial value)."""

    template_name = "django/forms/widgets/splithiddendatetime.html"

    def __init__(self, attrs=None):
        super().__init__([forms.HiddenInput] * 3, attrs)

    def decompress(self, value):
        return clock_parts(value)


class ClockTimeField(forms.SplitDateTimeField):
    """A time typed on the site's clock, read back as the instant the form showed.

    Django's field refuses a time that the clocks make ambiguous (01:30 on the night they go
    back happens twice) or that does not exist (02:30 on the night they go forward), so an
    article published in that hour could not be saved again. This field reads a date and time
    that were shown unchanged as the instant they showed, and refuses a typed one saying why.
    """

    widget = ClockTimeWidget
    hidden_widget = ClockTimeHiddenWidget

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields = (*self.fields, forms.CharField(required=False))

    def clean(self, value):
        parts = list(value) if isinstance(value, list | tuple) else []
        day, clock, shown = [*parts, "", "", ""][:3]
        if day in self.empty_values and clock in self.empty_values:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return None
        moment = self.compress(
            [self.fields[0].clean(day), self.fields[1].clean(clock), self.fields[2].clean(shown)]
        )
        self.validate(moment)
        self.run_validators(moment)
        return moment

    def compress(self, data_list):
        if not data_list:
            return None
        day, clock, shown = [*data_list, None][:3]
        if day is None:
            raise ValidationError(self.error_messages["invalid_date"], code="invalid_date")
        if clock is None:
            raise ValidationError(self.error_messages["invalid_time"], code="invalid_time")
        typed = datetime.combine(day, clock)
        before = shown_instant(shown)
        if before is not None and timezone.localtime(before).replace(
            tzinfo=None, microsecond=0
        ) == typed.replace(microsecond=0):
            return before
        zone = timezone.get_current_timezone()
        first, second = typed.replace(tzinfo=zone, fold=0), typed.replace(tzinfo=zone, fold=1)
        if first.utcoffset() == second.utcoffset():
            return first
        said, name = f"{typed:%H:%M} on {typed:%-d %B %Y}", timezone.get_current_timezone_name()
        if first.utcoffset() > second.utcoffset():
            message = (
                f"{said} happens twice in {name}, as the clocks go back that night: "
                "type a time before or after that hour."
            )
        else:
            message = (
                f"{said} does not happen in {name}: the clocks go forward over it. "
                "Type a time after it."
            )
        raise ValidationError(message, code="ambiguous_timezone")


def shown_instant(shown) -> datetime | None:
    """The instant a `ClockTimeWidget` showed (its hidden part), if it reads as one."""
    try:
        before = datetime.fromisoformat(shown) if shown else None
    except ValueError:
        return None
    return before if before is not None and timezone.is_aware(before) else None


class ClockTimesAdminMixin:
    """For ModelAdmins and inlines: their dates and times are `ClockTimeField`s, whose date and
    time inputs are named for screen readers (`clock_nouns`: "Send" makes "Send date
    (Europe/London)") and whose help says which zone they are typed in."""

    formfield_overrides = {
        models.DateTimeField: {"form_class": ClockTimeField, "widget": ClockTimeWidget}
    }
    clock_nouns: dict[str, str] = {}  # a time field's name: what its inputs are called

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and isinstance(formfield.widget, ClockTimeWidget):
            formfield.widget.name_parts(
                self.clock_nouns.get(db_field.name, capfirst(db_field.verbose_name))
            )
            zone = timezone.get_current_timezone_name()
            formfield.help_text = f"{db_field.help_text} Type it in {zone}, the site's time zone."
        return formfield
