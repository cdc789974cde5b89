from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Exists, OuterRef, Subquery
from django.template.response import TemplateResponse
from django.utils import timezone

from accounts.admin import UserAdmin
from accounts.models import User
from newsroom.forms import InvalidFormStatusAdminMixin
from subscriptions.forms import ComplimentaryGrantForm
from subscriptions.models import MeteredRead, Plan, Subscription
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

    @admin.display(boolean=True, description="Entitled now")
    def entitled_now(self, subscription):
        return subscription.entitles(at=timezone.now())


@admin.register(MeteredRead)
class MeteredReadAdmin(admin.ModelAdmin):
    list_display = ["user", "article_id", "period", "read_at"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
    date_hierarchy = "read_at"


class SubscriberFilter(admin.SimpleListFilter):
    title = "subscriber"
    parameter_name = "subscriber"

    def lookups(self, request, model_admin):
        return [("yes", "Subscriber"), ("no", "Not a subscriber")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(current_subscription_status__isnull=False)
        if self.value() == "no":
            return queryset.filter(current_subscription_status__isnull=True)
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
