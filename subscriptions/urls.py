from django.urls import path

from subscriptions import views

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/cancel/", views.cancel, name="subscription_cancel"),
    path("account/resume/", views.resume, name="subscription_resume"),
    path("account/switch-plan/", views.switch_plan, name="subscription_switch_plan"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/<slug:slug>/", views.checkout, name="checkout"),
]
