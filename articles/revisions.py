"""Revisions of articles, changes prepared for a live article, and saves from stale forms.

- Every save keeps a revision (`ArticleRevision`): the article's fields, its byline, tags and
  body blocks as one JSON snapshot (`article_snapshot`), walking the registry of block kinds in
  `articles.blocks`, so a new kind of block is kept without a change here.
- Any two revisions compare as readable rows (`revision_compare`); an editor restores one
  (`revision_restore`), which makes a new revision, so nothing is ever lost by restoring.
- Changes to a live article are prepared on a separate draft row (`Article.draft_of`), made
  with `article_prepare_changes`; readers see the live article until `article_publish_changes`
  copies the draft's content onto it (keeping its address, status and publish time).
- A form remembers the version of the article it showed (its `updated_at`); `article_changed_since`
  names who saved the article after that, so a stale save is refused instead of overwriting.

Why our own small model and not django-reversion: a revision here is one JSON document of the
article with its byline, tags and blocks, walked through the block registry that the renderer
and the admin already share; restoring is "replace the body with these blocks", which a
snapshot says directly, where reversion's follow-the-inlines versions restore row by row and
need extra care for deleted and reordered blocks.
"""

import difflib
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from content_editor.contents import contents_for_item
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django_prose_editor.fields import ProseEditorField

from media.models import Image

from . import services
from .blocks import BLOCK_KINDS, BLOCK_MODELS, block_kind, block_kind_of
from .body import BLOCK_END
from .events import ArticleChange, announce_article_change
from .models import Article, ArticleRevision, Author, Byline, Section, Tag

# The article's own fields a revision keeps; foreign keys are kept as ids. Status and publish
# time are not content: restoring a revision never publishes or unpublishes anything.
ARTICLE_FIELDS = (
    "headline",
    "slug",
    "standfirst",
    "section",
    "lead_image",
    "lead_caption",
    "lead_credit",
    "lead_alt_text",
    "access",
    "seo_description",
)
# Kept by the article that receives a snapshot: its address stays, and access changes only
# through `services.article_change_access` (which logs and announces it).
KEPT_ON_APPLY = ("slug", "access")
CHANGES_SLUG_SUFFIX = "--changes"


def _field_value(instance, name):
    field = instance._meta.get_field(name)
    return getattr(instance, field.attname)


def article_snapshot(article: Article, *, body=None, byline=None, tags=None) -> dict:
    """Return the saved article with its byline, tags and body blocks as a JSON-able dict.

    When the caller has them already (a save just wrote them): `body`, its saved body blocks in
    order; `byline`, its authors' ids in order; `tags`, its tags' ids.
    """
    snapshot = {name: _field_value(article, name) for name in ARTICLE_FIELDS}
    if tags is None:
        tags = article.tags.values_list("pk", flat=True)
    snapshot["tags"] = sorted(tags)
    if byline is None:
        byline = Byline.objects.filter(article=article).values_list("author_id", flat=True)
    snapshot["byline"] = list(byline)
    if body is None:
        contents = contents_for_item(article, BLOCK_MODELS)
        body = [block for region in article.regions for block in contents[region.key]]
    blocks = []
    for block in body:
        kind = block_kind_of(block)
        blocks.append(
            {
                "kind": kind.name,
                "region": block.region,
                "ordering": block.ordering,
                **{name: _field_value(block, name) for name in kind.fields},
            }
        )
    snapshot["blocks"] = blocks
    return snapshot


def snapshot_missing_references(snapshot: dict) -> list[str]:
    """Return what a snapshot refers to that has been deleted since (pictures, authors…)."""
    missing = []
    wanted = {
        Section: {snapshot.get("section")} - {None},
        Author: set(snapshot.get("byline", [])),
        Tag: set(snapshot.get("tags", [])),
        Image: {snapshot.get("lead_image")}
        | {block.get("image") for block in snapshot.get("blocks", [])},
    }
    for model, ids in wanted.items():
        ids.discard(None)
        found = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
        missing += [f"{model._meta.verbose_name} #{pk}" for pk in sorted(ids - found)]
    return missing


def article_apply_snapshot(*, article: Article, snapshot: dict) -> None:
    """Make the article's content what `snapshot` says: fields, byline, tags and blocks.

    Its slug, access, status and publish time stay as they are. Raise `ValidationError`,
    changing nothing, when the snapshot names something deleted since. Run inside a
    transaction; the caller records the revision.
    """
    missing = snapshot_missing_references(snapshot)
    if missing:
        raise ValidationError(
            "This version cannot be brought back: it uses what has been deleted since ("
            + ", ".join(missing)
            + ").",
            code="missing",
        )
    for name in ARTICLE_FIELDS:
        if name not in KEPT_ON_APPLY and name in snapshot:
            setattr(article, article._meta.get_field(name).attname, snapshot[name])
    article.save()
    article.tags.set(snapshot.get("tags", []))
    Byline.objects.filter(article=article).delete()
    Byline.objects.bulk_create(
        Byline(article=article, author_id=author_id, order=order)
        for order, author_id in enumerate(snapshot.get("byline", []))
    )
    for model in BLOCK_MODELS:
        model.objects.filter(parent=article).delete()
    for block in snapshot.get("blocks", []):
        kind = block_kind(block["kind"])
        values = {
            kind.model._meta.get_field(name).attname: block[name]
            for name in kind.fields
            if name in block
        }
        kind.model.objects.create(
            parent=article, region=block["region"], ordering=block["ordering"], **values
        )
    services.article_body_changed(article=article)


# Recording ----------------------------------------------------------------------------------

# The admin log entries written within `log_entries_noted`, in this thread or task.
_noted_log_entries: ContextVar[list | None] = ContextVar("noted_log_entries", default=None)


@contextmanager
def log_entries_noted():
    """Note the ids of the admin log entries written within (`note_log_entry`), and yield the
    list they go in: what a save logged, known without asking the log for its last entry
    before and for the entries since after."""
    noted = []
    token = _noted_log_entries.set(noted)
    try:
        yield noted
    finally:
        _noted_log_entries.reset(token)


def note_log_entry(sender, instance, created=False, **kwargs):
    """Note an admin log entry written within `log_entries_noted` (`post_save` of `LogEntry`,
    connected in `ArticlesConfig.ready`)."""
    noted = _noted_log_entries.get()
    if created and noted is not None:
        noted.append(instance.pk)


def _version_of(article_id: int) -> datetime:
    return Article.objects.filter(pk=article_id).values_list("updated_at", flat=True).get()


def revision_record(
    *,
    article: Article,
    by,
    note: str = "",
    body=None,
    byline=None,
    tags=None,
    version: datetime | None = None,
) -> ArticleRevision:
    """Keep the article as saved now, dated with its version (`updated_at`), as a revision;
    `note` says what the save did (cut to fit, a long send-back note say). When the caller has
    them already: `body`, `byline` and `tags` as `article_snapshot` takes them, and `version`,
    the `updated_at` its own save of `article` wrote last (read from the database otherwise)."""
    return ArticleRevision.objects.create(
        article=article,
        created_at=version if version is not None else _version_of(article.pk),
        created_by=by,
        note=Truncator(note).chars(ArticleRevision._meta.get_field("note").max_length),
        snapshot=article_snapshot(article, body=body, byline=byline, tags=tags),
    )


def revision_keep_baseline(*, article_id: int) -> None:
    """Keep an article written before revisions were kept as it is, before it first changes."""
    if article_id and not ArticleRevision.objects.filter(article_id=article_id).exists():
        article = Article.objects.get(pk=article_id)
        revision_record(article=article, by=None, note="As it was before revisions were kept")


def _may_restore(user, article: Article) -> bool:
    return user is not None and user.has_perm(services.PUBLISH_PERMISSION)


def revision_time(revision: ArticleRevision) -> str:
    """Return when the revision was saved as the revision list says it: "4 Dec 2026, 09:00:12"."""
    return date_format(timezone.localtime(revision.created_at), "j M Y, H:i:s")


def revision_restore(*, revision: ArticleRevision, by) -> ArticleRevision:
    """Make the article what `revision` says again (access included), as a new revision.

    Editors only (`articles.publish_article`): on a live article the restored version goes out
    at once, so the admin asks first. Logged "Restored the revision of …", in the admin log and
    the new revision. Raise `PermissionDenied` otherwise, and `ValidationError` (changing
    nothing) when the revision uses a picture, author, tag or section deleted since.
    """
    if not _may_restore(by, revision.article):
        raise PermissionDenied("Only editors may restore a revision.")
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=revision.article_id)
        revision_keep_baseline(article_id=article.pk)
        article_apply_snapshot(article=article, snapshot=revision.snapshot)
        note = f"Restored the revision of {revision_time(revision)}"
        services.article_log(article=article, by=by, message=note)
        access = revision.snapshot.get("access")
        if access and access != article.access:
            article = services.article_change_access(article=article, by=by, access=access)
            note += f". Access changed to {article.get_access_display()}."
        restored = revision_record(article=article, by=by, note=note)
        announce_article_change(article_id=article.pk, change=ArticleChange.EDITED, by=by)
    return restored


# Changes to a live article ------------------------------------------------------------------


def may_prepare_changes(user, article: Article) -> bool:
    """Whether `user` may prepare changes to the live `article`: editors to any, others with
    the right to change articles to one they wrote (created it, or are in its byline)."""
    if article.status != Article.Status.PUBLISHED or article.draft_of_id is not None:
        return False
    if user.has_perm(services.PUBLISH_PERMISSION):
        return True
    if not user.has_perm("articles.change_article"):
        return False
    # A journalist's own: one they wrote (created it), or are in the byline of.
    if article.created_by_id == user.pk:
        return True
    return Byline.objects.filter(article=article, author__user=user).exists()


def _changes_slug(live: Article) -> str:
    base = f"{live.slug[: 200 - len(CHANGES_SLUG_SUFFIX) - 4]}{CHANGES_SLUG_SUFFIX}"
    slug, n = base, 1
    while Article.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def article_prepare_changes(*, article: Article, by) -> Article:
    """Return the draft holding changes to the live `article`, making it if there is none.

    The draft is a copy of the live article (content, byline, tags, blocks), never shown to
    readers; the live article is unchanged until `article_publish_changes`. Raise
    `PermissionDenied` unless `by` may prepare changes to it (`may_prepare_changes`).
    """
    if not may_prepare_changes(by, article):
        raise PermissionDenied("You may not prepare changes to this article.")
    with transaction.atomic():
        live = Article.objects.select_for_update().get(pk=article.pk)
        existing = Article.objects.filter(draft_of=live).first()
        if existing is not None:
            return existing
        snapshot = article_snapshot(live)
        draft = Article(
            headline=live.headline,
            slug=_changes_slug(live),
            access=live.access,
            status=Article.Status.DRAFT,
            draft_of=live,
        )
        draft.created_by = by  # the review workflow's owner field, where it exists
        draft.save()
        article_apply_snapshot(article=draft, snapshot=snapshot)
        revision_record(article=draft, by=by, note=f"Prepared changes to “{live.headline}”")
    return draft


def changes_prepared_by(draft: Article):
    """Return (who, since when) the changes in `draft` are being prepared."""
    first = ArticleRevision.objects.filter(article=draft).order_by("created_at", "pk").first()
    if first is None:
        return None, draft.created_at
    return first.created_by, first.created_at


def live_changed_since_prepared(draft: Article) -> ArticleRevision | None:
    """Return the latest save of the live article made after `draft` was prepared, if any:
    publishing the draft replaces what that save changed (it stays in the revisions)."""
    _, since = changes_prepared_by(draft)
    return (
        ArticleRevision.objects.filter(article_id=draft.draft_of_id, created_at__gt=since)
        .select_related("created_by")
        .first()
    )


def article_publish_changes(*, draft: Article, by) -> Article:
    """Copy the prepared changes in `draft` onto its live article, and delete the draft.

    The live article keeps its address, status, publish time and access; everything else
    becomes what the draft says, kept as a new revision of the live article, and readers see
    it once the transaction commits. Editors only: raise `PermissionDenied` otherwise,
    `PublishRefused` naming what the changes lack before they may go out, and `ValidationError`
    when `draft` holds no changes to a live article. Return the live article.
    """
    if by is None or not by.has_perm(services.PUBLISH_PERMISSION):
        raise PermissionDenied("Only editors may publish changes to a live article.")
    if draft.draft_of_id is None:
        raise ValidationError("This article holds no changes to a live article.", code="not")
    check = services.article_check_for_publishing(article=draft)
    if not check.passed:  # the live article would go out lacking it
        raise services.PublishRefused(article=draft, check=check)
    with transaction.atomic():
        live = Article.objects.select_for_update().get(pk=draft.draft_of_id)
        draft = Article.objects.select_for_update().get(pk=draft.pk)
        preparer, _ = changes_prepared_by(draft)
        revision_keep_baseline(article_id=live.pk)
        article_apply_snapshot(article=live, snapshot=article_snapshot(draft))
        note = "Published the prepared changes"
        if preparer is not None and preparer != by:
            note += f" of {preparer.get_full_name() or preparer.email}"
        services.article_log(article=live, by=by, message=note)
        revision_record(article=live, by=by, note=note)
        draft.delete()
        announce_article_change(article_id=live.pk, change=ArticleChange.EDITED, by=by)
    return live


# Stale forms ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LaterSave:
    """A save of an article made after a form showed it: who, when, and the revisions."""

    by: object  # a user, or None when unknown
    at: datetime
    opened: ArticleRevision | None  # what the form showed
    latest: ArticleRevision | None  # what is saved now
    version: datetime  # the article's version now (its `updated_at`)

    @property
    def who(self) -> str:
        if self.by is None:
            return "Someone"
        return self.by.get_full_name() or self.by.email


def article_changed_since(*, article_id: int, version: datetime) -> LaterSave | None:
    """Return who saved the article after `version` (its `updated_at` then), or None.

    Lock the row when inside a transaction, so two saves from forms of the same version
    cannot both pass: the second waits, then finds the first.
    """
    rows = Article.objects.filter(pk=article_id)
    if transaction.get_connection().in_atomic_block:
        rows = rows.select_for_update()
    current = rows.values_list("updated_at", flat=True).first()
    if current is None or current == version:
        return None
    revisions = ArticleRevision.objects.filter(article_id=article_id).select_related("created_by")
    latest = revisions.first()
    opened = revisions.filter(created_at__lte=version).first()
    entry = (
        LogEntry.objects.filter(
            content_type__app_label="articles",
            content_type__model="article",
            object_id=str(article_id),
            action_time__gt=version,
        )
        .select_related("user")
        .order_by("-action_time")
        .first()
    )
    if latest is not None and latest.created_at > version:
        by, at = latest.created_by, latest.created_at
        if entry is not None and entry.action_time > at:
            by, at = entry.user, current
    elif entry is not None:
        by, at = entry.user, current
    else:
        by, at = None, current
    return LaterSave(by=by, at=at, opened=opened, latest=latest, version=current)


# Comparing ----------------------------------------------------------------------------------

WORD = re.compile(r"\s+|\S+")  # words and the spaces between them, each a token


@dataclass(frozen=True)
class ComparedRow:
    """One line of a comparison: a field or a block, as it was and as it became."""

    label: str
    before: str
    after: str
    diff: SafeString  # the words removed (<del>) and added (<ins>), escaped

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _plain(value, *, html=False) -> str:
    """Return the words of a field's value; rich text without its tags (headlines may hold <)."""
    text = str(value or "")
    return " ".join((strip_tags(BLOCK_END.sub(r"\1 ", text)) if html else text).split())


def text_diff(before: str, after: str) -> SafeString:
    """Return the words of `after`, marking the removed (<del>) and added (<ins>), escaped."""
    old, new = WORD.findall(before), WORD.findall(after)
    parts = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(escape("".join(old[i1:i2])))
            continue
        if i2 > i1:
            parts.append(format_html("<del>{}</del>", "".join(old[i1:i2])))
        if j2 > j1:
            parts.append(format_html("<ins>{}</ins>", "".join(new[j1:j2])))
    return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped above


def _names(model, ids):
    found = {obj.pk: str(obj) for obj in model.objects.filter(pk__in=ids)}
    return {pk: found.get(pk, f"(deleted {model._meta.verbose_name} #{pk})") for pk in ids}


def _block_text(block: dict, image_names: dict) -> str:
    kind = block_kind(block["kind"])
    parts = []
    for name in kind.fields:
        value = block.get(name)
        if name == "image":
            value = image_names.get(value, "")
        elif name == "layout" or value in ("", None):
            continue
        field = kind.model._meta.get_field(name)
        words = _plain(value, html=isinstance(field, ProseEditorField))
        parts.append(words if name == "text" else f"{field.verbose_name}: {words}")
    return " · ".join(parts) if parts else "—"


def _paired_blocks(old, new):
    """Yield (was, now) for each block, matched up in order: unchanged blocks first, then,
    among the rest, blocks of the same kind (changed); the others were removed or added."""
    outer = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, i1, i2, j1, j2 in outer.get_opcodes():
        if op == "equal":
            yield from zip(old[i1:i2], new[j1:j2], strict=True)
            continue
        was, now = old[i1:i2], new[j1:j2]
        inner = difflib.SequenceMatcher(
            a=[kind for kind, _ in was], b=[kind for kind, _ in now], autojunk=False
        )
        for inner_op, a1, a2, b1, b2 in inner.get_opcodes():
            if inner_op == "equal":
                yield from zip(was[a1:a2], now[b1:b2], strict=True)
            else:
                yield from ((block, None) for block in was[a1:a2])
                yield from ((None, block) for block in now[b1:b2])


def _row(label, before, after) -> ComparedRow:
    return ComparedRow(label=label, before=before, after=after, diff=text_diff(before, after))


def revision_compare(*, before: dict, after: dict) -> list[ComparedRow]:
    """Return the rows a person reads to see what changed from `before` to `after`.

    Headline, standfirst, access, section, byline, lead image, tags and SEO description, then
    each block; blocks are matched up in order, so an inserted block shows as added and the
    others as they were.
    """
    images = _names(
        Image,
        {
            ref
            for snap in (before, after)
            for ref in [snap.get("lead_image")] + [b.get("image") for b in snap["blocks"]]
            if ref is not None
        },
    )
    sections = _names(Section, {s for s in (before.get("section"), after.get("section")) if s})
    authors = _names(Author, set(before.get("byline", [])) | set(after.get("byline", [])))
    tags = _names(Tag, set(before.get("tags", [])) | set(after.get("tags", [])))
    access = dict(Article.Access.choices)

    def fields(snap):
        return {
            "Headline": snap.get("headline", ""),
            "Standfirst": snap.get("standfirst", ""),
            "Access": str(access.get(snap.get("access"), snap.get("access") or "")),
            "Section": sections.get(snap.get("section"), ""),
            "Byline": ", ".join(authors[pk] for pk in snap.get("byline", [])),
            "Lead image": " · ".join(
                part
                for part in [
                    images.get(snap.get("lead_image"), ""),
                    snap.get("lead_caption", ""),
                    snap.get("lead_credit", ""),
                    snap.get("lead_alt_text", ""),
                ]
                if part
            ),
            "Tags": ", ".join(sorted(tags[pk] for pk in snap.get("tags", []))),
            "SEO description": snap.get("seo_description", ""),
        }

    old, new = fields(before), fields(after)
    rows = [_row(label, _plain(old[label]), _plain(new[label])) for label in old]
    kinds = {kind.name: str(kind.model._meta.verbose_name).capitalize() for kind in BLOCK_KINDS}
    old_blocks = [(b["kind"], _block_text(b, images)) for b in before["blocks"]]
    new_blocks = [(b["kind"], _block_text(b, images)) for b in after["blocks"]]
    position = 0
    for was, now in _paired_blocks(old_blocks, new_blocks):
        position += now is not None
        kind = kinds[(now or was)[0]]
        if now is None:
            label = f"{kind} (removed)"
        elif was is None:
            label = f"Block {position}: {kind} (added)"
        else:
            label = f"Block {position}: {kind}"
        rows.append(_row(label, was[1] if was else "", now[1] if now else ""))
    return rows
