from datetime import datetime

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator

from accounts.admin import UserAdmin
from accounts.models import User
from foundation.admin import ReadOnlyAdmin
from foundation.forms import InvalidFormStatusAdminMixin
from subscriptions.churn import churn_report
from subscriptions.forms import ComplimentaryGrantForm
from subscriptions.models import (
    CancellationFeedback,
    GiftLink,
    GiftSignup,
    MeteredRead,
    Plan,
    Subscription,
    add_months,
)
from subscriptions.services import (
    GRANT_COMPLIMENTARY_PERMISSION,
    subscription_grant_complimentary,
)


@admin.register(Plan)
class PlanAdmin(InvalidFormStatusAdminMixin, admin.ModelAdmin):
    list_display = ["name", "price", "currency", "interval", "trial_days", "is_active", "order"]
    list_editable = ["is_active", "order"]
    list_filter = ["is_active", "interval"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Subscription)
class SubscriptionAdmin(InvalidFormStatusAdminMixin, admin.ModelAdmin):
    list_display = [
        "user",
        "plan",
        "status",
        "source",
        "current_period_start",
        "current_period_end",
        "cancel_at_period_end",
        "entitled_now",
    ]
    list_filter = ["status", "plan", "source", "cancel_at_period_end"]
    list_select_related = ["user", "plan"]
    search_fields = ["user__email", "provider_reference"]
    autocomplete_fields = ["user"]
    raw_id_fields = ["granted_by"]
    date_hierarchy = "current_period_end"
    readonly_fields = ["created_at", "updated_at"]
    change_list_template = "subscriptions/admin/churn_changelist.html"  # links the churn report

    @admin.display(boolean=True, description="Entitled now")
    def entitled_now(self, subscription):
        return subscription.entitles(at=timezone.now())

    def get_urls(self):
        churn = path(
            "churn/",
            self.admin_site.admin_view(self.churn_report_view),
            name="subscriptions_subscription_churn",
        )
        return [churn, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "churn_report_url": reverse(CHURN_URL_NAME)}
        return super().changelist_view(request, extra_context)

    def churn_report_view(self, request):
        """Show churn per calendar month: who was subscribed, cancelled, resumed and left."""
        if not request.user.has_perm(CHURN_PERMISSION):
            raise PermissionDenied
        report = churn_report(months=CHURN_MONTHS)
        context = {
            **self.admin_site.each_context(request),
            "title": "Churn by month",
            "opts": self.model._meta,
            "report": report,
            "reason_labels": CancellationFeedback.Reason.labels,
            "feedback_url": reverse("admin:subscriptions_cancellationfeedback_changelist"),
            "can_see_feedback": request.user.has_perm("subscriptions.view_cancellationfeedback"),
        }
        return TemplateResponse(request, "subscriptions/admin/churn_report.html", context)


# Whoever may see subscriptions may see what became of them.
CHURN_PERMISSION = "subscriptions.view_subscription"
CHURN_URL_NAME = "admin:subscriptions_subscription_churn"
CHURN_MONTHS = 12


class MonthFilter(admin.SimpleListFilter):
    """Cancellations by the calendar month (site time) they were made in, newest first."""

    title = "month"
    parameter_name = "month"

    def lookups(self, request, model_admin):
        tz = timezone.get_default_timezone()
        months = CancellationFeedback.objects.datetimes("created_at", "month", "DESC", tzinfo=tz)
        return [(f"{month:%Y-%m}", f"{month:%B %Y}") for month in months]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            first = datetime.strptime(self.value(), "%Y-%m")
        except ValueError:
            raise IncorrectLookupParameters(f"No such month: {self.value()}") from None
        start = timezone.make_aware(first, timezone.get_default_timezone())
        return queryset.filter(created_at__gte=start, created_at__lt=add_months(start, 1))


@admin.register(CancellationFeedback)
class CancellationFeedbackAdmin(ReadOnlyAdmin):
    """What readers said when they cancelled: read-only, since these are their words."""

    list_display = ["reader", "plan", "reason", "excerpt", "created_at", "resumed"]
    list_filter = ["reason", MonthFilter]
    list_select_related = ["subscription__user", "subscription__plan"]
    search_fields = ["subscription__user__email", "text"]
    fields = ["subscription", "reason", "text", "created_at", "resumed_at"]
    change_list_template = "subscriptions/admin/churn_changelist.html"

    def has_view_permission(self, request, obj=None):
        # Whoever may see subscriptions (the Editor group may) may see why they were cancelled.
        return super().has_view_permission(request, obj) or request.user.has_perm(CHURN_PERMISSION)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "churn_report_url": reverse(CHURN_URL_NAME)}
        if not request.user.has_perm(CHURN_PERMISSION):
            extra_context["churn_report_url"] = ""
        return super().changelist_view(request, extra_context)

    @admin.display(description="Reader", ordering="subscription__user__email")
    def reader(self, feedback):
        return feedback.subscription.user

    @admin.display(description="Plan")
    def plan(self, feedback):
        return feedback.subscription.plan or feedback.subscription.get_source_display()

    @admin.display(description="In their words")
    def excerpt(self, feedback):
        return Truncator(feedback.text).chars(80) or "—"

    @admin.display(boolean=True, description="Resumed", ordering="resumed_at")
    def resumed(self, feedback):
        return feedback.resumed_at is not None


@admin.register(MeteredRead)
class MeteredReadAdmin(ReadOnlyAdmin):
    """What registered readers read on the meter: a record, read-only like their others.

    Deleting one gives the read back (support: a read counted by mistake), and stays, for
    whoever has the delete permission; each is logged, naming whose read of which article.
    """

    list_display = ["user", "article", "period", "read_at"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    date_hierarchy = "read_at"
    delete_confirmation_template = "subscriptions/admin/meteredread_delete_confirmation.html"
    delete_selected_confirmation_template = (
        "subscriptions/admin/meteredread_delete_selected_confirmation.html"
    )

    def has_delete_permission(self, request, obj=None):
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('delete', opts)}")

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            function, name, _ = actions["delete_selected"]
            actions[name] = (function, name, "Give back the selected reads (delete them)")
        return actions

    @admin.display(description="Article", ordering="article_id")
    def article(self, read):
        return article_link(read.article_id)

    def log_deletions(self, request, queryset):
        """Say, for each read given back, whose read of which article it was."""
        return [
            entry
            for read in queryset
            for entry in LogEntry.objects.log_actions(
                user_id=request.user.pk,
                queryset=[read],
                action_flag=DELETION,
                change_message=f"Gave back {read.user}'s read of article #{read.article_id} "
                f"({read.period:%B %Y}): they may read another article free this month.",
                single_object=False,
            )
        ]


def article_link(article_id: int) -> str:
    """Link to the article's admin page by its id (subscriptions knows articles only by id)."""
    try:
        url = reverse("admin:articles_article_change", args=[article_id])
    except NoReverseMatch:
        return f"Article #{article_id}"
    return format_html('<a href="{}">Article #{}</a>', url, article_id)


def _count_of(queryset, *, by):
    """Return a subquery counting `queryset`'s rows for each gift (no join: counts stay exact)."""
    counted = queryset.order_by().values(by)
    return Coalesce(
        Subquery(counted.annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()), 0
    )


@admin.register(GiftLink)
class GiftLinkAdmin(ReadOnlyAdmin):
    """Gifts and what they brought: opens, sign-ups, subscriptions. A record: view only."""

    list_display = [
        "created_at",
        "sender",
        "article",
        "status",
        "open_count",
        "signup_count",
        "subscription_count",
    ]
    list_select_related = ["sender"]
    search_fields = ["sender__email", "recipient_email"]
    date_hierarchy = "created_at"  # gifts by month
    exclude = ["token"]  # the link is the sender's to share, not the newsroom's
    change_list_template = "subscriptions/admin/giftlink_change_list.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                signup_count=_count_of(GiftSignup.objects.filter(gift=OuterRef("pk")), by="gift"),
                subscription_count=_count_of(
                    Subscription.objects.filter(attributed_gift=OuterRef("pk")),
                    by="attributed_gift",
                ),
            )
        )

    @admin.display(description="Article", ordering="article_id")
    def article(self, gift):
        return article_link(gift.article_id)

    @admin.display(description="Status")
    def status(self, gift):
        if gift.revoked_at:
            return "Withdrawn"
        return "Active" if gift.is_valid(at=timezone.now()) else "Expired"

    @admin.display(description="Sign-ups", ordering="signup_count")
    def signup_count(self, gift):
        return gift.signup_count

    @admin.display(description="Subscriptions", ordering="subscription_count")
    def subscription_count(self, gift):
        return gift.subscription_count

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            # Totals over what the list shows (its month, search and filters), in one query.
            response.context_data["gift_totals"] = changelist.queryset.order_by().aggregate(
                gifts=Count("pk"),
                opens=Coalesce(Sum("open_count"), 0),
                signups=Coalesce(Sum("signup_count"), 0),
                subscriptions=Coalesce(Sum("subscription_count"), 0),
            )
        return response


class SubscriberFilter(admin.SimpleListFilter):
    title = "subscriber"
    parameter_name = "subscriber"

    def lookups(self, request, model_admin):
        return [("yes", "Subscriber"), ("no", "Not a subscriber")]

    def queryset(self, request, queryset):
        # A semi- or anti-join the database plans from the subscriptions' side, where a filter
        # on the list's annotation ran its subquery for every account.
        entitling = Subscription.objects.filter(user=OuterRef("pk")).entitling(at=timezone.now())
        if self.value() == "yes":
            return queryset.filter(Exists(entitling))
        if self.value() == "no":
            return queryset.filter(~Exists(entitling))
        return queryset


admin.site.unregister(User)


@admin.register(User)
class ReaderAdmin(UserAdmin):
    """The accounts list with each reader's subscription, and complimentary grants."""

    list_display = ["email", "name", "subscription", "is_staff", "date_joined"]
    list_filter = [SubscriberFilter, "is_staff", "is_superuser", "is_active"]
    actions = ["grant_complimentary"]

    def get_queryset(self, request):
        # The readers' list shows each one's subscription from subqueries, not a query a row.
        subscriptions = Subscription.objects.filter(user=OuterRef("pk")).latest_first()
        current = subscriptions.entitling(at=timezone.now())
        return (
            super()
            .get_queryset(request)
            .annotate(
                current_subscription_status=Subquery(current.values("status")[:1]),
                has_subscribed=Exists(subscriptions),
            )
        )

    @admin.display(description="Subscription", ordering="current_subscription_status")
    def subscription(self, user):
        if user.current_subscription_status:
            return Subscription.Status(user.current_subscription_status).label
        return "Ended" if user.has_subscribed else "—"

    def has_grant_complimentary_permission(self, request):
        return request.user.has_perm(GRANT_COMPLIMENTARY_PERMISSION)

    @admin.action(
        description="Grant complimentary subscription for N months",
        permissions=["grant_complimentary"],
    )
    def grant_complimentary(self, request, queryset):
        form = ComplimentaryGrantForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            months = form.cleaned_data["months"]
            readers = list(queryset)
            for user in readers:
                subscription = subscription_grant_complimentary(
                    user=user, months=months, granted_by=request.user
                )
                self.log_addition(request, subscription, f"Complimentary for {months} months")
            self.message_user(
                request,
                f"Granted {len(readers)} complimentary subscription(s) for {months} month(s).",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Grant complimentary subscriptions",
            "form": form,
            "readers": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "action_name": "grant_complimentary",
        }
        return TemplateResponse(request, "subscriptions/admin/grant_complimentary.html", context)
