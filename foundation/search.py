"""A stored text search vector that works on every database the project runs on.

A model keeps its searchable text as a generated column of this expression: on PostgreSQL the
database writes the vector with the row, and one GIN index serves searches; on SQLite (in
development) the column is NULL and the app falls back to matching words.
"""

from django.contrib.postgres.search import SearchVectorField
from django.db.models import Func


class TextSearchVector(Func):
    """A text search vector where the database has text search (PostgreSQL); NULL on SQLite."""

    template = "%(expressions)s"
    arity = 1
    output_field = SearchVectorField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return "NULL", []
