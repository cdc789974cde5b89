from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

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
    search_help_text = (
        "A whole email address finds its account; part of one, or of a name, every match."
    )
    ordering = ["email"]

    def get_search_results(self, request, queryset, search_term):
        """An address typed whole finds its account through the unique index on addresses;
        anything else, or an address no account has, is looked for in addresses and names
        (through trigram indexes on PostgreSQL: migration 0005)."""
        term = search_term.strip()
        if is_email_address(term):
            account = queryset.filter(Exact(Lower("email"), term.lower()))
            if account.exists():
                return account, False
        return super().get_search_results(request, queryset, search_term)


def is_email_address(text: str) -> bool:
    try:
        validate_email(text)
    except ValidationError:
        return False
    return True
