"""The picture chooser: the library as thumbnails, searched and filtered, and uploads into it.

Opened in a window from every picture field of the admin (`media/widgets.py`), it shows the
library newest first, a page at a time without counting it (fast at 50,000 pictures), and
sends the chosen picture back to the field (`static/media/chooser.js` posts it to the window
that opened it). Pictures dropped on it are checked and kept aside at once, each with its
progress; the journalist then describes them in one form, and only then do they join the
library (`image_create`: a picture always has its alt text, or is marked decorative).
"""

import logging
import secrets
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib.postgres.search import SearchQuery
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import connections
from django.db.models import Q
from django.http import HttpResponseBadRequest, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from media.forms import KeywordsField
from media.hygiene import CleanUpload
from media.models import SEARCH_CONFIG, Image
from media.services import (
    SUGGESTED_FIELDS,
    StorageUnavailable,
    image_clean_upload,
    image_create,
    image_find_duplicate,
)
from media.templatetags.media_tags import thumbnail
from media.usage import public_uses, unused_q

logger = logging.getLogger(__name__)

PER_PAGE = 24
EXPIRING_WITHIN_DAYS = 30
# Pictures dropped on the chooser wait here, checked and stripped of their metadata, until
# they are described; a signed token (below) says what each is and who dropped it.
# Those never described are deleted after NEWSROOM_PENDING_PICTURE_HOURS
# (`Pending.forget_abandoned`, hourly from `media.tasks`).
PENDING_FOLDER = "pending-pictures"
PENDING_SALT = "media.chooser.pending"

RIGHTS_CHOICES = [
    ("", "Any rights"),
    ("expiring", f"Expiring within {EXPIRING_WITHIN_DAYS} days"),
    ("expired", "Expired"),
]


class ChooserFilters(forms.Form):
    """What the journalist looks for: words, their own uploads, rights, unused pictures."""

    q = forms.CharField(label="Search", required=False, max_length=200)
    mine = forms.BooleanField(label="Uploaded by me", required=False)
    rights = forms.ChoiceField(label="Rights", choices=RIGHTS_CHOICES, required=False)
    unused = forms.BooleanField(label="Not used anywhere", required=False)
    page = forms.IntegerField(min_value=1, required=False)

    def pictures(self, user):
        """Return the pictures that match, newest first (the form must be valid)."""
        data = self.cleaned_data
        pictures = _matching(Image.objects.prefetch_related("renditions"), data["q"])
        if data["mine"]:
            pictures = pictures.filter(uploaded_by=user)
        today = timezone.localdate()
        if data["rights"] == "expired":
            pictures = pictures.filter(rights_expire_on__lt=today)
        elif data["rights"] == "expiring":
            soon = today + timezone.timedelta(days=EXPIRING_WITHIN_DAYS)
            pictures = pictures.filter(rights_expire_on__gte=today, rights_expire_on__lte=soon)
        if data["unused"]:
            pictures = pictures.filter(unused_q())
        return pictures.annotate(public_uses=public_uses()).order_by("-uploaded_at", "-pk")


def _matching(pictures, words: str):
    """Return the pictures whose caption, alt text, credit, copyright holder or keywords have
    `words`:
    on PostgreSQL by the stored text search vector (so "harbours" finds "harbour"), elsewhere
    each word somewhere in them."""
    if not words.strip():
        return pictures
    if connections[pictures.db].vendor == "postgresql":
        wanted = SearchQuery(words, search_type="websearch", config=SEARCH_CONFIG)
        return pictures.filter(search_vector=wanted)
    for word in words.split():
        pictures = pictures.filter(
            Q(caption__icontains=word)
            | Q(credit__icontains=word)
            | Q(alt_text__icontains=word)
            | Q(copyright_holder__icontains=word)
            | Q(keywords__icontains=word)
        )
    return pictures


@dataclass(frozen=True)
class Pending:
    """A checked picture waiting for its description: its file, and what the token says."""

    token: str
    facts: dict

    @classmethod
    def keep(cls, upload: CleanUpload, *, name: str, user) -> "Pending":
        stored_as = default_storage.save(
            f"{PENDING_FOLDER}/{secrets.token_hex(16)}.{upload.extension}", upload.as_file()
        )
        facts = {
            "stored_as": stored_as,
            "name": name[:200],  # as the journalist had it, to tell the pictures apart
            "user": user.pk,
            **{field: getattr(upload, field) for field in UPLOAD_FACTS},
        }
        return cls(token=signing.dumps(facts, salt=PENDING_SALT, compress=True), facts=facts)

    @classmethod
    def from_token(cls, token: str, *, user) -> "Pending":
        """Return the picture a token names; ValidationError if it is too old, tampered with
        or not this user's."""
        try:
            facts = signing.loads(token, salt=PENDING_SALT, max_age=pending_max_age())
        except signing.BadSignature as error:
            raise ValidationError(EXPIRED) from error
        if facts.get("user") != user.pk:
            raise ValidationError(EXPIRED)
        return cls(token=token, facts=facts)

    @property
    def name(self) -> str:
        return self.facts["name"]

    @property
    def url(self) -> str:
        return default_storage.url(self.facts["stored_as"])

    def upload(self) -> CleanUpload:
        """Return the checked picture; ValidationError if its file is no longer kept."""
        try:
            with default_storage.open(self.facts["stored_as"], "rb") as stored:
                content = stored.read()
        except OSError as error:
            raise ValidationError(EXPIRED) from error
        return CleanUpload(content=content, **{f: self.facts[f] for f in UPLOAD_FACTS})

    def forget(self) -> None:
        default_storage.delete(self.facts["stored_as"])

    @staticmethod
    def forget_abandoned(*, now=None) -> list[str]:
        """Delete the kept pictures older than NEWSROOM_PENDING_PICTURE_HOURS (their tokens
        have expired with them); return their names.

        Only the pending folder's own files, by the storage's API (S3 too), each judged by its
        storage time: a file already gone is passed over, so two runs at once are harmless.
        """
        older_than = (now or timezone.now()) - pending_max_age()
        try:
            _, names = default_storage.listdir(PENDING_FOLDER)
        except FileNotFoundError:  # nothing was ever dropped (a local folder not made yet)
            return []
        forgotten = []
        for name in sorted(names):
            stored_as = f"{PENDING_FOLDER}/{name}"
            try:
                if default_storage.get_modified_time(stored_as) >= older_than:
                    continue
                default_storage.delete(stored_as)
            except FileNotFoundError:  # described, or deleted by another run, meanwhile
                continue
            forgotten.append(stored_as)
        return forgotten


def pending_max_age() -> timezone.timedelta:
    return timezone.timedelta(hours=settings.NEWSROOM_PENDING_PICTURE_HOURS)


UPLOAD_FACTS = ("format", "width", "height", "content_hash", *SUGGESTED_FIELDS)
EXPIRED = "This upload has expired or is not yours: drop the picture on the chooser again."


class DescribeForm(forms.Form):
    """What a dropped picture needs before it joins the library."""

    token = forms.CharField(widget=forms.HiddenInput)
    alt_text = Image._meta.get_field("alt_text").formfield(
        label="Alt text", widget=forms.Textarea(attrs={"rows": 2})
    )
    is_decorative = forms.BooleanField(
        label="Decorative (needs no alt text)",
        required=False,
        help_text=Image._meta.get_field("is_decorative").help_text,
    )
    caption = Image._meta.get_field("caption").formfield()
    credit = Image._meta.get_field("credit").formfield()
    keywords = Image._meta.get_field("keywords").formfield(form_class=KeywordsField)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        token = self["token"].value() or ""
        try:
            self.pending = Pending.from_token(token, user=user)
        except ValidationError:
            self.pending = None  # said by clean_token, if the form is sent
        if self.pending and not self.is_bound:  # what the picture's metadata suggested
            for name in ("caption", "credit"):
                self.initial.setdefault(name, self.pending.facts[name])

    def clean_token(self):
        if self.pending is None:
            raise ValidationError(EXPIRED)
        self.upload = self.pending.upload()
        return self.cleaned_data["token"]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("is_decorative") and not cleaned.get("alt_text", "").strip():
            self.add_error(
                "alt_text",
                "Describe what the picture shows for readers who cannot see it, or tick "
                "“decorative” if it adds nothing to the text.",
            )
        return cleaned

    def save(self) -> Image:
        fields = {name: self.cleaned_data[name] for name in DESCRIBED}
        image = image_create(file=self.upload, uploaded_by=self.user, **fields)
        self.pending.forget()
        return image


DESCRIBED = ("alt_text", "is_decorative", "caption", "credit", "keywords")
DescribeFormSet = forms.formset_factory(DescribeForm, extra=0, max_num=50, validate_max=True)


class Chooser:
    """The chooser's three views, for `ImageAdmin` (which checks who may see them)."""

    def __init__(self, model_admin):
        self.model_admin = model_admin

    def context(self, request, **more):
        return {
            **self.model_admin.admin_site.each_context(request),
            "opts": Image._meta,
            "is_popup": True,  # no header or breadcrumbs: it is a window over the form
            "field": _field(request),
            "may_upload": self.model_admin.has_add_permission(request),
            **more,
        }

    def choose(self, request):
        if not self.model_admin.has_view_permission(request):
            raise PermissionDenied
        filters = ChooserFilters(request.GET)
        if not filters.is_valid():
            return self._chooser_page(request, [], filters=filters, status=400)
        page = filters.cleaned_data["page"] or 1
        start = (page - 1) * PER_PAGE
        # One more than a page tells whether there is a next one: nothing counts the library.
        pictures = list(filters.pictures(request.user)[start : start + PER_PAGE + 1])
        more = len(pictures) > PER_PAGE
        pictures = pictures[:PER_PAGE]
        query = request.GET.copy()
        query.pop("page", None)
        return self._chooser_page(
            request,
            pictures,
            filters=filters,
            page=page,
            first=start + 1,
            last=start + len(pictures),
            previous_page=page - 1 if page > 1 else None,
            next_page=page + 1 if more else None,
            query=query.urlencode(),
        )

    def upload(self, request):
        """Check one dropped picture and keep it aside; answer in JSON what happens next."""
        if not self.model_admin.has_add_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseBadRequest("Send the picture with POST.")
        file = request.FILES.get("file")
        if file is None:
            return JsonResponse({"error": "No picture came with the upload."}, status=400)
        try:
            upload = image_clean_upload(file=file)
        except ValidationError as error:
            return JsonResponse({"error": " ".join(error.messages)}, status=400)
        duplicate = image_find_duplicate(content_hash=upload.content_hash)
        if duplicate is not None and "keep" not in request.POST:
            return JsonResponse(
                {
                    "duplicate": {
                        "id": duplicate.pk,
                        "label": str(duplicate),
                        "card": str(thumbnail(duplicate)),
                    },
                    "message": f"The library already has this picture as “{duplicate}”.",
                },
                status=409,
            )
        try:
            pending = Pending.keep(upload, name=file.name or "picture", user=request.user)
        except Exception:  # any storage's failure: the journalist may try again
            logger.exception("Keeping a dropped picture failed")
            return JsonResponse({"error": StorageUnavailable.message}, status=503)
        return JsonResponse({"token": pending.token, "name": pending.name})

    def describe(self, request):
        """Ask for what the dropped pictures need, all in one form; then add them."""
        if not self.model_admin.has_add_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseBadRequest("Drop pictures on the chooser first.")
        if "form-TOTAL_FORMS" not in request.POST:
            # Straight from the uploads: one empty description per picture.
            tokens = request.POST.getlist("token")[:50]
            formset = DescribeFormSet(
                initial=[{"token": token} for token in tokens], form_kwargs={"user": request.user}
            )
            return self._describe_page(request, formset)
        formset = DescribeFormSet(request.POST, form_kwargs={"user": request.user})
        if not formset.is_valid():
            return self._describe_page(request, formset, status=400)
        try:
            added = [form.save() for form in formset]
        except StorageUnavailable:
            return self._describe_page(
                request, formset, status=503, error=StorageUnavailable.message
            )
        return self._chooser_page(
            request, added, added=True, choose_at_once=added[0] if len(added) == 1 else None
        )

    def _chooser_page(self, request, pictures, *, status=200, **more):
        return TemplateResponse(
            request,
            "admin/media/image/chooser.html",
            self.context(
                request,
                title="Choose a picture",
                pictures=[_choice(picture) for picture in pictures],
                **more,
            ),
            status=status,
        )

    def _describe_page(self, request, formset, *, status=200, error=None):
        return TemplateResponse(
            request,
            "admin/media/image/describe.html",
            self.context(request, title="Describe the pictures", formset=formset, error=error),
            status=status,
        )


def _field(request) -> str:
    """The id of the field the chooser fills: letters, digits, - and _ only."""
    field = request.GET.get("field") or request.POST.get("field") or ""
    return field if field.replace("-", "").replace("_", "").isalnum() else ""


@dataclass(frozen=True)
class Choice:
    image: Image
    thumbnail: str
    label: str
    choosable: bool
    why_not: str


def _choice(image) -> Choice:
    why_not = ""
    if image.rights_expired:
        why_not = format_html(
            "Rights expired on {}: it cannot be used in a live or scheduled article.",
            image.rights_expire_on,
        )
    return Choice(
        image=image,
        thumbnail=thumbnail(image, width=160),
        label=str(image),
        choosable=not why_not,
        why_not=why_not,
    )


def chooser_url(field_id: str = "") -> str:
    url = reverse("admin:media_image_choose")
    return f"{url}?field={field_id}" if field_id else url
