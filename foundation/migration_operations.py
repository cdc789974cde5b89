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
