from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.forms import UserAdminChangeForm, UserAdminCreationForm
from accounts.models import User
from foundation.forms import InvalidFormStatusAdminMixin
from foundation.paging import ArchiveListAdminMixin


@admin.register(User)
class UserAdmin(ArchiveListAdminMixin, InvalidFormStatusAdminMixin, DjangoUserAdmin):
    """Accounts by email address; `subscriptions.admin` adds what readers subscribe to."""

    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal", {"fields": ["name"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined", "email_verified_at"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "name", "usable_password", "password1", "password2"],
            },
        )
    ]
    list_display = ["email", "name", "is_staff", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "name"]
    ordering = ["email"]
