"""The newsroom's admin for articles: each concern in its own module, registered here.

- `taxonomy`: sections, authors and tags.
- `article`: `ArticleAdmin`, composed of one mixin per concern, and who may change what:
  `change_form` (layout, save flow, a refused publish marked in place), `changelist` (columns,
  filters in `filters`), `review` (submit, send back, publish; the list's actions), `previews`
  (as each reader, share links), `autosave`, `corrections`, `revisions` (and prepared changes).
- `forms`: the article's form (publishing times, the send-back note, the version it showed).
"""

from django.contrib import admin

from articles.models import Article, Author, Section, Tag

from .article import ArticleAdmin
from .taxonomy import AuthorAdmin, SectionAdmin, TagAdmin

admin.site.register(Section, SectionAdmin)
admin.site.register(Author, AuthorAdmin)
admin.site.register(Tag, TagAdmin)
admin.site.register(Article, ArticleAdmin)
