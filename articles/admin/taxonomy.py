"""How articles are filed and signed: sections, authors and tags."""

from django.contrib import admin

from foundation.forms import InvalidFormStatusAdminMixin
from media.widgets import PictureFieldsMixin


class SectionAdmin(InvalidFormStatusAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class AuthorAdmin(PictureFieldsMixin, InvalidFormStatusAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "user"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "user__email"]
    autocomplete_fields = ["photo", "user"]


class TagAdmin(InvalidFormStatusAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]
