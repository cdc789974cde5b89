from django.urls import path

from subscriptions import views

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/cancel/", views.cancel, name="subscription_cancel"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/<slug:slug>/", views.checkout, name="checkout"),
]
