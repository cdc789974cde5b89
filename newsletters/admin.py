"""Newsletters in the admin: define them, write a send, preview it as each kind of recipient,
send a test to yourself, send it (now, at a time, or with the article), watch it, pause, resume
or cancel it; the subscribers, the suppression list and the provider's events.

Every control is a POST to a view that declares `newsletters.send_newslettersend` and goes
through the service in `newsletters.sending`, which checks it again.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from foundation.forms import ClockTimesAdminMixin, InvalidFormStatusAdminMixin

from .delivery import suppression_lift
from .models import (
    DigestItem,
    Newsletter,
    NewsletterSend,
    NewsletterSubscription,
    ProviderEvent,
    SendRecipient,
    Suppression,
)
from .rendering import RecipientKind, reader_of_kind, render_variant, send_content, variant_key
from .sending import (
    SEND_PERMISSION,
    SendRefused,
    send_cancel,
    send_counts,
    send_pause,
    send_problems,
    send_resume,
    send_start,
    send_test,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the site writes, never a person."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Newsletter)
class NewsletterAdmin(InvalidFormStatusAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "audience",
        "cadence",
        "is_active",
        "offered_on_articles",
        "subscribers",
    ]
    list_filter = ["audience", "is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fields = [
        "name",
        "slug",
        "description",
        "audience",
        "cadence",
        "is_active",
        "offered_on_articles",
        "order",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                subscriber_count=Count(
                    "subscriptions",
                    filter=Q(subscriptions__status=NewsletterSubscription.Status.SUBSCRIBED),
                )
            )
        )

    @admin.display(description="Subscribers", ordering="subscriber_count")
    def subscribers(self, newsletter):
        url = reverse("admin:newsletters_newslettersubscription_changelist")
        return format_html(
            '<a href="{}?newsletter__id__exact={}&amp;status__exact=subscribed">{}</a>',
            url,
            newsletter.pk,
            newsletter.subscriber_count,
        )


@admin.register(NewsletterSubscription)
class NewsletterSubscriptionAdmin(ReadOnlyAdmin):
    """A reader's own record: looked at and, on request, deleted; never made up by staff."""

    list_display = ["email", "newsletter", "status", "source", "created_at", "left_because"]
    list_filter = ["newsletter", "status", "source", "left_because"]
    search_fields = ["email"]
    date_hierarchy = "created_at"
    list_select_related = ["newsletter"]
    fields = [
        "email",
        "newsletter",
        "user",
        "status",
        "source",
        "created_at",
        "confirmed_at",
        "left_at",
        "left_because",
    ]
    readonly_fields = fields


@admin.register(Suppression)
class SuppressionAdmin(InvalidFormStatusAdminMixin, admin.ModelAdmin):
    list_display = ["email", "reason", "created_at", "detail"]
    list_filter = ["reason"]
    search_fields = ["email"]
    date_hierarchy = "created_at"
    fields = ["email", "reason", "detail", "created_at", "event"]

    def get_readonly_fields(self, request, obj=None):
        return ["created_at", "event", "reason"] if obj is None else self.fields

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        obj.email = obj.email.strip().lower()
        obj.reason = Suppression.Reason.MANUAL
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        suppression_lift(suppression=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for suppression in queryset:
            suppression_lift(suppression=suppression, by=request.user)


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    list_display = ["event_type", "email", "provider", "received_at", "applied_at"]
    list_filter = ["event_type", "provider"]
    search_fields = ["email", "message_id", "event_id"]
    date_hierarchy = "received_at"
    readonly_fields = [
        "event_id",
        "provider",
        "event_type",
        "email",
        "message_id",
        "occurred_at",
        "received_at",
        "applied_at",
        "reject_reason",
        "description",
        "metadata",
    ]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SendRecipient)
class SendRecipientAdmin(ReadOnlyAdmin):
    list_display = ["email", "send", "status", "batch", "handed_over_at", "delivered_at", "error"]
    list_filter = ["status", ("send", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["email"]
    list_select_related = ["send"]
    show_full_result_count = False  # a send of 50,000 is not counted on every page
    readonly_fields = [
        "send",
        "email",
        "name",
        "status",
        "batch",
        "attempts",
        "provider_message_id",
        "handed_over_at",
        "delivered_at",
        "bounced_at",
        "complained_at",
        "opened_at",
        "clicked_at",
        "error",
    ]
    fields = readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False


# Stacked, with the article by its id and a look-up: every input has its own label, where the
# tabular inline's and select2's autocomplete have none that a screen reader hears.
class DigestItemInline(admin.StackedInline):
    model = DigestItem
    extra = 3
    raw_id_fields = ["article"]
    fields = ["article", "order"]
    verbose_name = "article in the digest"
    verbose_name_plural = "articles in the digest (digests only)"


KINDS = {kind.value for kind in RecipientKind}


class SendForm(forms.ModelForm):
    """A send's own fields (its time's inputs are named by `NewsletterSendAdmin`)."""

    class Meta:
        model = NewsletterSend
        fields = ["newsletter", "kind", "article", "subject", "preheader", "intro", "send_at"]

    def clean(self):
        cleaned = super().clean()
        kind, article = cleaned.get("kind"), cleaned.get("article")
        if kind == NewsletterSend.Kind.ARTICLE and article is None:
            self.add_error("article", "Choose the article to send.")
        return cleaned


CONTROLS = {
    "start": (send_start, "Sent, scheduled or waiting for the article, as it says below."),
    "pause": (send_pause, "Paused: no more messages go until you resume it."),
    "resume": (send_resume, "Resumed."),
    "cancel": (send_cancel, "Cancelled: nothing more of it is sent."),
}


@admin.register(NewsletterSend)
class NewsletterSendAdmin(InvalidFormStatusAdminMixin, ClockTimesAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "newsletter", "kind", "status", "send_at", "frozen_at", "created_by"]
    list_filter = ["status", "kind", "newsletter"]
    search_fields = ["subject", "article__headline"]
    raw_id_fields = ["article"]
    inlines = [DigestItemInline]
    change_form_template = "admin/newsletters/newslettersend/change_form.html"
    form = SendForm
    clock_nouns = {"send_at": "Send"}
    fieldsets = [
        (None, {"fields": ["newsletter", "kind", "article"]}),
        ("The email", {"fields": ["subject", "preheader", "intro"]}),
        ("When", {"fields": ["with_publication", "send_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status not in {NewsletterSend.Status.DRAFT}:
            return [name for _title, options in self.fieldsets for name in options["fields"]]
        return []

    def get_inlines(self, request, obj):
        if obj is not None and obj.status != NewsletterSend.Status.DRAFT:
            return []
        return self.inlines

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/preview/<str:kind>/",
                wrap(self.preview_view),
                name="newsletters_newslettersend_preview",
            ),
            path("<int:pk>/test/", wrap(self.test_view), name="newsletters_newslettersend_test"),
            path(
                "<int:pk>/control/<str:action>/",
                wrap(self.control_view),
                name="newsletters_newslettersend_control",
            ),
            *super().get_urls(),
        ]

    def has_send_permission(self, request):
        return request.user.has_perm(SEND_PERMISSION)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        send = self.get_object(request, object_id)
        extra = extra_context or {}
        if send is not None:
            extra |= {
                "send": send,
                "counts": send_counts(send) if send.is_started else None,
                "problems": send_problems(send) if send.status == send.Status.DRAFT else [],
                "kinds": list(RecipientKind),
                "may_send": self.has_send_permission(request),
                "variants": send.variants.order_by("-recipients") if send.is_started else [],
            }
        return super().change_view(request, object_id, form_url, extra)

    def preview_view(self, request, pk, kind):
        """Show the email as a recipient of `kind` gets it (the HTML part, or ?part=text)."""
        send = get_object_or_404(NewsletterSend, pk=pk)
        if not self.has_view_permission(request, send):
            raise PermissionDenied
        if kind not in KINDS:
            return HttpResponse("No such kind of recipient.", status=404, content_type="text/plain")
        articles = send_content(send)
        if not articles:
            return TemplateResponse(
                request,
                "admin/newsletters/newslettersend/nothing_to_preview.html",
                {**self.admin_site.each_context(request), "send": send, "opts": self.opts},
                status=409,
            )
        key = variant_key(articles=articles, reader=reader_of_kind(RecipientKind(kind)))
        rendered = render_variant(send=send, articles=articles, key=key)
        if request.GET.get("part") == "text":
            response = HttpResponse(rendered.text, content_type="text/plain; charset=utf-8")
        else:
            response = HttpResponse(rendered.html)
            # The email's own styles are inline: the admin's policy would block them.
            response["Content-Security-Policy"] = (
                "default-src 'none'; img-src * data:; style-src 'unsafe-inline'; "
                "frame-ancestors 'self'"
            )
        response["Cache-Control"] = "private, no-store"
        response["X-Frame-Options"] = "SAMEORIGIN"
        return response

    def test_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        send = get_object_or_404(NewsletterSend, pk=pk)
        kind = request.POST.get("kind", "")
        if kind not in KINDS:
            messages.error(request, "Choose a kind of recipient for the test.")
            return redirect("admin:newsletters_newslettersend_change", pk)
        if not self.has_send_permission(request):
            raise PermissionDenied
        try:
            send_test(send=send, by=request.user, kind=RecipientKind(kind))
        except SendRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(
                request,
                f"A test as {RecipientKind(kind).label} is on its way to {request.user.email}.",
            )
        return redirect("admin:newsletters_newslettersend_change", pk)

    def control_view(self, request, pk, action):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if action not in CONTROLS:
            return HttpResponse("No such action.", status=404, content_type="text/plain")
        if not self.has_send_permission(request):
            raise PermissionDenied
        send = get_object_or_404(NewsletterSend, pk=pk)
        service, done = CONTROLS[action]
        try:
            service(send=send, by=request.user)
        except SendRefused as refusal:
            messages.error(request, str(refusal))
        else:
            self.log_change(request, send, f"{action.capitalize()}.")
            messages.success(request, done)
        return redirect("admin:newsletters_newslettersend_change", pk)
