"""The paywall insight in the admin: the events (read-only, a list that stays fast at millions
of rows), the conversion report and the meter's what-if, each number of the report a link to
the events it counts."""

from __future__ import annotations

import csv
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html

from articles.models import Article, Section
from foundation.admin import ReadOnlyAdmin
from foundation.paging import ArchiveListAdminMixin
from insight import report as reports
from insight.charts import bar_chart
from insight.forms import MeterMonthForm, ReportForm
from insight.models import Event, Kind, Meter, Report
from subscriptions.access import Access
from subscriptions.funnel import PromptButton
from subscriptions.models import Subscription
from subscriptions.paywall import AccessReason

# Whoever may see the events may see what they add up to (the Editor group may).
VIEW_PERMISSION = "insight.view_event"

COLUMN_LABELS = {
    "readers": "Readers",
    "walls": "Walls shown",
    "prompt_clicks": "Prompt clicks",
    "signups": "Sign-ups",
    "checkouts": "Checkouts",
    "subscriptions": "Subscriptions started",
    "conversion": "Conversion rate",
}
# The events each column counts, for its links.
COLUMN_KINDS = {
    "readers": [Kind.READ, Kind.WALL],
    "walls": [Kind.WALL],
    "prompt_clicks": [Kind.PROMPT_CLICK],
    "signups": [Kind.SIGNUP],
    "checkouts": [Kind.CHECKOUT],
    "subscriptions": [Kind.SUBSCRIPTION],
}
FUNNEL_LABELS = {
    "reads": "Articles read",
    "walls": "Walls shown",
    "prompt_clicks": "Prompt clicks",
    "signups": "Sign-ups",
    "checkouts": "Checkouts",
    "subscriptions": "Subscriptions",
}
FUNNEL_KINDS = {**COLUMN_KINDS, "reads": [Kind.READ]}
# The report's filters as the event list's filters name their parameters.
EVENT_FILTER_PARAMS = {
    "section_id": "section__id__exact",
    "access": "access",
    "reader_kind": "reader_kind__exact",
    "referrer": "referrer__exact",
    "device": "device__exact",
}


# What an event's `detail` may say, in words.
DETAILS = {
    AccessReason.METER_EXHAUSTED.value: "Wall: meter used up",
    AccessReason.SUBSCRIBERS_ONLY.value: "Wall: subscribers only",
    **{button.value: f"Button: {button.label}" for button in PromptButton},
    "article": "Newsletter: end of an article",
    "paywall": "Newsletter: the wall's offer",
    "wall": "Newsletter: the registration wall",
    Subscription.Source.PROVIDER.value: "Subscription: payment provider",
    Subscription.Source.MANUAL.value: "Subscription: development checkout",
}


class DetailFilter(admin.SimpleListFilter):
    """Why a wall was shown (or which button, which form): the known reasons, without reading
    the table for its values (ten million rows)."""

    title = "detail"
    parameter_name = "detail"

    def lookups(self, request, model_admin):
        return list(DETAILS.items())

    def queryset(self, request, queryset):
        return queryset.filter(detail=self.value()) if self.value() else queryset


class AccessFilter(admin.SimpleListFilter):
    """The article's access when it happened (the vocabulary's levels, not the table's)."""

    title = "access"
    parameter_name = "access"

    def lookups(self, request, model_admin):
        return Access.choices

    def queryset(self, request, queryset):
        return queryset.filter(access=self.value()) if self.value() else queryset


class DateFilter(admin.DateFieldListFilter):
    """When it happened: today, the last 7 days, this month, this year (no query to list)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "date"


def admin_link(url_name: str, object_id: int | None, text: str) -> str:
    if object_id is None:
        return "—"
    try:
        url = reverse(url_name, args=[object_id])
    except NoReverseMatch:
        return text
    return format_html('<a href="{}">{}</a>', url, text)


@admin.register(Event)
class EventAdmin(ArchiveListAdminMixin, ReadOnlyAdmin):
    """What readers were shown and did: a record, read-only; the report's numbers lead here."""

    list_display = [
        "at",
        "kind",
        "detail_shown",
        "article_link",
        "section_name",
        "access_shown",
        "reader_kind",
        "referrer",
        "device",
        "wall_link",
    ]
    list_filter = [
        "kind",
        DetailFilter,
        "reader_kind",
        "referrer",
        "device",
        AccessFilter,
        "section",  # the sections' own small table
        ("at", DateFilter),
    ]
    # Newest first, along the `event_at` index; the id breaks ties of one moment.
    ordering = ["-at", "-pk"]
    search_fields = ["article_id"]  # see get_search_results
    show_facets = admin.ShowFacets.NEVER  # facets count the table once per filter choice
    # An event's page: its row in the list, and who and which subscription it was about.
    fields = [
        *list_display,
        "subscription_link",
        "user_id",
        "visitor",
    ]
    readonly_fields = fields

    @admin.display(description="detail")
    def detail_shown(self, event):
        return DETAILS.get(event.detail, event.detail)

    @admin.display(description="access")
    def access_shown(self, event):
        return Access(event.access).label if event.access in Access.values else event.access

    def get_queryset(self, request):
        # Names by subquery for the rows shown: an event outlives its article, so no join.
        return (
            super()
            .get_queryset(request)
            .annotate(
                headline=Subquery(
                    Article.objects.filter(pk=OuterRef("article_id")).values("headline")[:1]
                ),
                section_label=Subquery(
                    Section.objects.filter(pk=OuterRef("section_id")).values("name")[:1]
                ),
            )
        )

    def get_search_results(self, request, queryset, search_term):
        """Find the events of an article by its id; anything else finds none."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if not term.isdigit():
            return queryset.none(), False
        return queryset.filter(article_id=int(term)), False

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "is_nav_sidebar_enabled": False,  # nine columns and the filters at 1280 px
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    @admin.display(description="Article", ordering="article_id")
    def article_link(self, event):
        text = f"#{event.article_id} {event.headline}" if event.headline else None
        return admin_link(
            "admin:articles_article_change",
            event.article_id,
            text or f"Article #{event.article_id}",
        )

    @admin.display(description="Section")
    def section_name(self, event):
        if event.section_id is None:
            return "—"
        return event.section_label or f"Section #{event.section_id}"

    @admin.display(description="Attributed to wall")
    def wall_link(self, event):
        if event.kind not in {Kind.SIGNUP, Kind.CHECKOUT, Kind.SUBSCRIPTION}:
            return ""
        if event.wall_id is None:
            return "No wall met"
        return admin_link("admin:insight_event_change", event.wall_id, f"Wall #{event.wall_id}")

    @admin.display(description="Subscription")
    def subscription_link(self, event):
        return admin_link(
            "admin:subscriptions_subscription_change",
            event.subscription_id,
            f"Subscription #{event.subscription_id}",
        )


# The report -------------------------------------------------------------------------------


class EventLinks:
    """Addresses of the event list showing the events a number of the report counts: its
    period and filters, and the kinds, article or section of the number."""

    def __init__(self, *, period, filters):
        start, end = period.bounds()
        self.base = reverse("admin:insight_event_changelist")
        self.params = {"at__gte": str(start), "at__lt": str(end)}
        for name, value in filters.items():
            self.params[EVENT_FILTER_PARAMS[name]] = value

    def url(self, kinds, *, by=None, key=None) -> str:
        params = dict(self.params)
        if len(kinds) == 1:
            params["kind__exact"] = kinds[0]
        else:
            params["kind__in"] = ",".join(kinds)
        if by is not None:
            field = reports.BY[by]
            if key is None:  # conversions after no wall
                params[f"{field.removesuffix('_id')}__isnull"] = "True"
            elif field == "section_id":
                params["section__id__exact"] = key
            else:
                params[field] = key
        return f"{self.base}?{urlencode(params)}"


def with_params(request, **changes) -> str:
    """Return this page's query string with `changes` (None: left out)."""
    query = request.GET.copy()
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return "?" + query.urlencode()


def preset_links(request, *, chosen: str):
    """Return each preset's label, its link (the filters kept, the dates left), and whether
    it is the period shown."""
    return [
        {
            "label": label,
            "url": with_params(request, preset=name, start=None, end=None, format=None),
            "current": name == chosen,
        }
        for name, label in reports.PRESETS.items()
    ]


def table_rows(report, *, links):
    """Return the report's rows as the table writes them: the row, its (value, link) cells
    and its conversion rate."""
    return [
        {
            "row": row,
            "cells": [
                (
                    f"{row.figures[column]:,}",
                    links.url(COLUMN_KINDS[column], by=report.by, key=row.key),
                )
                for column in reports.COLUMNS
            ],
            "rate": percent(row.conversion_percent),
        }
        for row in report.rows
    ]


def totals_row(report, *, links):
    return [
        (f"{report.totals[column]:,}", links.url(COLUMN_KINDS[column]))
        for column in reports.COLUMNS
    ]


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


def sort_headers(request, sort: str):
    """Return each column's label, the link that sorts by it, and its `aria-sort`."""
    headers = []
    for column in reports.SORTS:
        if sort == f"-{column}":
            state, next_sort = "descending", column
        elif sort == column:
            state, next_sort = "ascending", f"-{column}"
        else:
            state, next_sort = "", f"-{column}"  # the most first, to begin with
        headers.append(
            {
                "label": COLUMN_LABELS[column],
                "url": with_params(request, sort=next_sort, format=None),
                "state": state,
            }
        )
    return headers


def csv_response(report) -> HttpResponse:
    """Return the report's table (every row, in its order, with the totals) as CSV."""
    name = f"paywall-report-by-{report.by}-{report.period.start}-to-{report.period.end}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow([report.by.capitalize(), "Id", *(COLUMN_LABELS[c] for c in reports.SORTS)])
    for row in report.rows:
        writer.writerow(
            [
                spreadsheet_safe(row.name),
                "" if row.key is None else row.key,
                *(row.figures[column] for column in reports.COLUMNS),
                csv_percent(row.conversion_percent),
            ]
        )
    writer.writerow(
        [
            "Total",
            "",
            *(report.totals[column] for column in reports.COLUMNS),
            csv_percent(report.totals_conversion_percent),
        ]
    )
    return response


def csv_percent(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def spreadsheet_safe(text: str) -> str:
    """Return `text` that a spreadsheet will not run as a formula (a headline may start "=")."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def funnel_of(report, *, links):
    steps = [
        {"label": FUNNEL_LABELS[name], "value": value, "url": links.url(FUNNEL_KINDS[name])}
        for name, value in report.funnel
    ]
    chart = bar_chart([(step["label"], step["value"], False) for step in steps])
    return {"steps": steps, "chart": chart}


def month_choices(months, *, chosen=None):
    """Return the what-if's months, this one first whether or not it has figures yet."""
    this_month = reports.site_today().replace(day=1)
    chosen = chosen or this_month
    every = sorted({this_month, *months}, reverse=True)
    return [(f"{m:%Y-%m}", f"{m:%B %Y}", m == chosen) for m in every]


class ReportPageAdmin(ReadOnlyAdmin):
    """A report's place in the index: its own page, for whoever may see the events."""

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(VIEW_PERMISSION)

    def page_context(self, request, title):
        if not request.user.has_perm(VIEW_PERMISSION):
            raise PermissionDenied
        return {
            **self.admin_site.each_context(request),
            # Eight columns and the filters at 1280 px: the app list beside them goes (the
            # breadcrumbs lead back to it), as on the article list.
            "is_nav_sidebar_enabled": False,
            "title": title,
            "opts": self.opts,
            "events_url": reverse("admin:insight_event_changelist"),
            "report_url": reverse("admin:insight_report_changelist"),
            "meter_url": reverse("admin:insight_meter_changelist"),
        }


@admin.register(Report)
class ReportAdmin(ReportPageAdmin):
    def get_urls(self):
        view = self.admin_site.admin_view(self.report_view)
        # The name the admin's index links a model's list by.
        return [path("", view, name="insight_report_changelist")]

    def report_view(self, request):
        """Show, or send as CSV, the period's walls and conversions per article or section."""
        context = self.page_context(request, "Paywall report: walls and conversions")
        form = ReportForm(request.GET)
        if not form.is_valid():
            context.update(form=form, presets=preset_links(request, chosen=""))
            return TemplateResponse(request, "insight/admin/report.html", context, status=400)
        data, filters = form.cleaned_data, form.filters()
        wants_csv = request.GET.get("format") == "csv"
        report = reports.paywall_report(
            period=data["period"],
            by=data["by"],
            filters=filters,
            sort=data["sort"],
            limit=None if wants_csv else reports.SHOWN_ROWS,
        )
        if wants_csv:
            return csv_response(report)
        links = EventLinks(period=report.period, filters=filters)
        context.update(
            form=form,
            report=report,
            rows=table_rows(report, links=links),
            totals=totals_row(report, links=links),
            totals_rate=percent(report.totals_conversion_percent),
            headers=sort_headers(request, data["sort"]),
            funnel=funnel_of(report, links=links),
            reconciliation=reports.reconciliation(period=report.period),
            subscriptions_url=EventLinks(period=report.period, filters={}).url([Kind.SUBSCRIPTION]),
            csv_url=with_params(request, format="csv"),
            presets=preset_links(request, chosen=data["preset"]),
            filtered=bool(filters),
            attribution_days=settings.NEWSROOM_INSIGHT_ATTRIBUTION_DAYS,
        )
        return TemplateResponse(request, "insight/admin/report.html", context)


@admin.register(Meter)
class MeterAdmin(ReportPageAdmin):
    def get_urls(self):
        view = self.admin_site.admin_view(self.meter_view)
        return [path("", view, name="insight_meter_changelist")]

    def meter_view(self, request):
        """Show how many readers other meter allowances would have walled in a month."""
        context = self.page_context(request, "The meter: what if the allowance changed?")
        months = reports.meter_months()
        form = MeterMonthForm(request.GET, months=months)
        context.update(form=form, months=months, month_choices=month_choices(months))
        if not form.is_valid():
            return TemplateResponse(request, "insight/admin/meter.html", context, status=400)
        month = form.cleaned_data["month"]
        what_ifs = [
            {
                "what_if": what_if,
                "chart": bar_chart(
                    [
                        (f"{a.articles} free", a.readers_walled, a.is_current)
                        for a in what_if.allowances
                    ]
                ),
            }
            for what_if in reports.meter_what_if(month=month)
        ]
        context.update(
            month=month,
            month_choices=month_choices(months, chosen=month),
            what_ifs=what_ifs,
            next_roll_up=reports.next_roll_up(),
        )
        return TemplateResponse(request, "insight/admin/meter.html", context)
