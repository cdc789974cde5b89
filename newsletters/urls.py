from django.urls import path

from newsletters import views

urlpatterns = [
    path("newsletters/", views.newsletter_list, name="newsletter_list"),
    path("newsletters/sign-up/", views.newsletter_sign_up, name="newsletter_sign_up"),
    path("newsletters/join/<slug:slug>/", views.newsletter_join, name="newsletter_join"),
    path(
        "newsletters/confirm/<str:token>/",
        views.newsletter_confirm_view,
        name="newsletter_confirm",
    ),
    path(
        "newsletters/unsubscribe/<str:token>/",
        views.newsletter_unsubscribe_view,
        name="newsletter_unsubscribe",
    ),
    path("account/newsletters/", views.account_newsletters, name="account_newsletters"),
]
