"""The readers' list in the admin at a hundred thousand accounts.

Partial indexes for its filters (staff, superusers, deactivated: a few rows each, in the list's
order). On PostgreSQL, trigram indexes (pg_trgm, an extension any database owner may create
since PostgreSQL 13) on the expressions the admin's search compares, `UPPER(email)` and
`UPPER(name)`: a search for part of an address or a name reads the index, not the table.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models
from django.db.models.functions import Upper

from foundation.migration_operations import AddIndexesOnPostgreSQL


TRIGRAM_INDEXES = [
    GinIndex(OpClass(Upper(field), name="gin_trgm_ops"), name=f"user_{field}_trigrams")
    for field in ("email", "name")
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_email_sign_in_newsletter"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="user",
            index=models.Index(
                condition=models.Q(("is_staff", True)), fields=["email"], name="user_staff"
            ),
        ),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(
                condition=models.Q(("is_superuser", True)), fields=["email"], name="user_superuser"
            ),
        ),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(
                condition=models.Q(("is_active", False)), fields=["email"], name="user_inactive"
            ),
        ),
        TrigramExtension(),  # on PostgreSQL only, as the indexes below
        AddIndexesOnPostgreSQL("user", TRIGRAM_INDEXES),
    ]
