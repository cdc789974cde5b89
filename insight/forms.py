"""What an editor asks the report and the what-if for: a period, filters, an order, a month."""

from __future__ import annotations

from datetime import date, datetime

from django import forms

from articles.models import Section
from insight.models import Device, ReaderKind, Referrer
from insight.report import PRESETS, SORTS, Period, period_preset, site_today
from subscriptions.access import Access

# The longest period asked for at once: two years of days, most of them rolled up.
LONGEST_DAYS = 731
SORT_CHOICES = [(name, name) for name in SORTS] + [(f"-{name}", f"-{name}") for name in SORTS]


def _any(choices):
    return [("", "All"), *choices]


class ReportForm(forms.Form):
    """The report's period (a preset, or start and end dates), rows, filters and order."""

    # Presets are links (`ReportPage`), carried here so that changing a filter keeps them;
    # dates, when given, win.
    preset = forms.ChoiceField(choices=PRESETS.items(), required=False, widget=forms.HiddenInput)
    start = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="To (inclusive)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    by = forms.ChoiceField(
        label="Rows",
        choices=[("article", "Per article"), ("section", "Per section")],
        required=False,
    )
    section = forms.ModelChoiceField(
        label="Section", queryset=Section.objects.all(), required=False, empty_label="All"
    )
    access = forms.ChoiceField(label="Access", choices=_any(Access.choices), required=False)
    reader_kind = forms.ChoiceField(
        label="Reader", choices=_any(ReaderKind.choices), required=False
    )
    referrer = forms.ChoiceField(label="Came from", choices=_any(Referrer.choices), required=False)
    device = forms.ChoiceField(label="Device", choices=_any(Device.choices), required=False)
    sort = forms.ChoiceField(
        label="Order", choices=SORT_CHOICES, required=False, widget=forms.HiddenInput
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if self.errors:
            return data
        if start or end:
            if not (start and end):
                raise forms.ValidationError("Give both dates of the period, or neither.")
            if start > end:
                raise forms.ValidationError("The period ends before it starts.")
            if (end - start).days >= LONGEST_DAYS:
                raise forms.ValidationError(
                    f"Ask for at most {LONGEST_DAYS} days at once (two years)."
                )
            data["period"], data["preset"] = Period(start, end), ""
        else:
            data["preset"] = data.get("preset") or "7"
            data["period"] = period_preset(data["preset"], today=site_today())
            # The fields show the preset's dates, to change from there.
            self.data = self.data.copy()
            self.data["start"] = data["period"].start.isoformat()
            self.data["end"] = data["period"].end.isoformat()
        data["by"] = data.get("by") or "article"
        data["sort"] = data.get("sort") or "-subscriptions"
        return data

    def filters(self) -> dict[str, str | int]:
        """Return the filters asked for, as `Event` and `DailyFigures` name their fields."""
        data = self.cleaned_data
        filters = {
            name: data[name]
            for name in ("access", "reader_kind", "referrer", "device")
            if data[name]
        }
        if data["section"] is not None:
            filters["section_id"] = data["section"].pk
        return filters


class MeterMonthForm(forms.Form):
    """The what-if's month: one that has figures, or the current one."""

    month = forms.CharField(required=False)

    def __init__(self, *args, months: list[date], **kwargs):
        super().__init__(*args, **kwargs)
        self.months = months

    def clean_month(self) -> date:
        value = self.cleaned_data["month"]
        this_month = site_today().replace(day=1)
        if not value:
            return this_month
        try:
            month = datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(
                f"“{value}” is not a month: write it as 2026-11 (year, then month)."
            ) from None
        if month != this_month and month not in self.months:
            raise forms.ValidationError(f"There are no meter figures for {month:%B %Y}.")
        return month
