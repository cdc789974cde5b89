from django.urls import path

from subscriptions import views, webhooks

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/cancel/", views.cancel, name="subscription_cancel"),
    path("account/feed/new-address/", views.private_feed_new_address, name="private_feed_new"),
    path("account/billing/", views.billing_portal, name="billing_portal"),
    path("account/resume/", views.resume, name="subscription_resume"),
    path("account/switch-plan/", views.switch_plan, name="subscription_switch_plan"),
    path("subscribe/", views.subscribe, name="subscribe"),
    # The paywall prompt's buttons, counted on the way to where they lead.
    path("prompt/<int:article_id>/<slug:button>/", views.prompt_click, name="prompt_click"),
    # Before the plans' checkout, which would take "thank-you" for a plan's slug.
    path("subscribe/thank-you/", views.checkout_return, name="checkout_return"),
    path("subscribe/<slug:slug>/", views.checkout, name="checkout"),
    path("payments/webhook/", webhooks.stripe_webhook, name="stripe_webhook"),
]
