"""Migration operations the apps share."""

from django.db import migrations, models


class AddStoredGeneratedField(migrations.AddField):
    """Add a stored generated column (`GeneratedField(db_persist=True)`).

    SQLite refuses to add a stored generated column to a table that has rows, so a development
    database made by an earlier `make run` could not migrate. There the column is added as a
    virtual one, which SQLite adds to any table and which reads the same (the text search
    vectors are NULL on SQLite: `foundation.search.TextSearchVector`); a later rebuild of the
    table makes it stored, as the model says.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        _name, _path, args, kwargs = self.field.deconstruct()
        virtual = migrations.AddField(
            self.model_name,
            self.name,
            models.GeneratedField(*args, **kwargs | {"db_persist": False}),
        )
        state = from_state.clone()
        virtual.state_forwards(app_label, state)
        return virtual.database_forwards(app_label, schema_editor, from_state, state)


class AddIndexesOnPostgreSQL(migrations.operations.base.Operation):
    """Add `indexes` to `model_name`'s table on PostgreSQL, and nothing elsewhere; going back
    removes them.

    For indexes the model does not declare, because they are PostgreSQL's own (GIN over text
    search vectors or trigrams) and SQLite has no such thing: the state is left as it is.
    """

    reversible = True
    reduces_to_sql = False

    def __init__(self, model_name, indexes):
        self.model_name = model_name
        self.indexes = indexes

    def state_forwards(self, app_label, state):
        pass  # the model does not declare them

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._add(app_label, schema_editor, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._remove(app_label, schema_editor, from_state)

    def _add(self, app_label, schema_editor, state):
        if schema_editor.connection.vendor == "postgresql":
            model = state.apps.get_model(app_label, self.model_name)
            for index in self.indexes:
                schema_editor.add_index(model, index)

    def _remove(self, app_label, schema_editor, state):
        if schema_editor.connection.vendor == "postgresql":
            model = state.apps.get_model(app_label, self.model_name)
            for index in self.indexes:
                schema_editor.remove_index(model, index)

    def describe(self):
        names = ", ".join(index.name for index in self.indexes)
        return f"Add {names} to {self.model_name} on PostgreSQL"


class RemoveIndexesOnPostgreSQL(AddIndexesOnPostgreSQL):
    """Remove `indexes` that `AddIndexesOnPostgreSQL` added; going back adds them again."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._remove(app_label, schema_editor, from_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._add(app_label, schema_editor, to_state)

    def describe(self):
        names = ", ".join(index.name for index in self.indexes)
        return f"Remove {names} from {self.model_name} on PostgreSQL"
