"""`ArticleAdmin`, the newsroom's editorial admin: one mixin per concern, and who may change
what (`articles.services.article_editable_by` decides; the mixins ask these methods)."""

from content_editor.admin import ContentEditor

from articles import services
from foundation.forms import ClockTimesAdminMixin, InvalidFormStatusAdminMixin

from .autosave import AutosaveAdminMixin
from .base import ArticleAdminBase
from .change_form import ChangeFormAdminMixin
from .changelist import ArticleListAdminMixin
from .corrections import CorrectionsAdminMixin
from .editor_policy import EditorPolicyAdminMixin
from .forms import TIME_FIELDS
from .links import ArticleLinksAdminMixin
from .previews import PreviewsAdminMixin
from .review import ReviewAdminMixin
from .revisions import RevisionsAdminMixin


# The order is the order in which each part has its say in the methods several of them
# extend: a save is checked and answered by the change form first, then by review (where the
# article went), autosave (forgotten once saved), corrections and revisions (kept); the status
# a refused form answers with comes last.
class ArticleAdmin(
    ChangeFormAdminMixin,
    ReviewAdminMixin,
    ArticleListAdminMixin,
    PreviewsAdminMixin,
    AutosaveAdminMixin,
    CorrectionsAdminMixin,
    RevisionsAdminMixin,
    ArticleLinksAdminMixin,
    ArticleAdminBase,
    InvalidFormStatusAdminMixin,
    ClockTimesAdminMixin,
    EditorPolicyAdminMixin,
    ContentEditor,
):
    """The editorial admin. Saving the form saves what was typed (the article and its body);
    publishing, scheduling, unpublishing and access then go through `articles.services`, which
    check the saved article and the editor's permission. The list's actions call the same
    services.
    """

    clock_nouns = TIME_FIELDS

    class Media:
        css = {"all": ["newsroom/admin.css", "newsroom/admin-review.css"]}
        # Unsaved edits: the prompt on leaving, autosave; names for the editors' inputs.
        # Pictures dropped or pasted into the body become image blocks.
        # The body's word count and read time as the journalist types; pasted text.
        js = ["newsroom/article_form.js", "newsroom/body_pictures.js", "newsroom/body_text.js"]

    def get_queryset(self, request):
        # Everyone with the view permission sees every article; what they may change is
        # has_change_permission's question, asked of each article.
        return (
            super()
            .get_queryset(request)
            .select_related("section", "lead_image", "created_by", "review_note_by")
            # The list reads the bylines for its page (`ArticleChangeList`); the change form
            # reads them in its byline's formset.
            .prefetch_related("lead_image__renditions")
        )

    def has_publish_permission(self, request):
        return services.user_is_editor(request.user)

    def has_change_permission(self, request, obj=None):
        """Whether this user may edit this article now: editors any; journalists their own
        (`created_by`) while it is a draft. Others' articles, and their own once submitted or
        out, they see read-only (`has_view_permission`)."""
        if obj is None or obj.pk is None:  # the list, or an article being added
            return super().has_change_permission(request)
        return services.article_editable_by(article=obj, user=request.user)

    def view_on_site(self, obj):
        return obj.get_absolute_url()
