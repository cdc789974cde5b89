from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views
from accounts.backends import password_backend

urlpatterns = [
    path("login/", views.log_in, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.sign_up, name="signup"),
    path("login/email/", views.sign_in_email, name="sign_in_email"),
    path("login/email/code/", views.sign_in_code, name="sign_in_code"),
    # A key: masked in every log (newsroom/request_log.py), sent with no referrer.
    path("login/link/<str:token>/", views.sign_in_link, name="sign_in_link"),
    path(
        "account/password/",
        views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "account/password/changed/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "account/password/reset/",
        views.PasswordResetView.as_view(
            extra_email_context={"publication_name": settings.NEWSROOM_PUBLICATION_NAME}
        ),
        name="password_reset",
    ),
    path(
        "account/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "account/password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(
            # Logging in straight away also lifts a log-in lockout for this reader.
            post_reset_login=True,
            post_reset_login_backend=password_backend(),
            success_url=reverse_lazy("password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "account/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
