"""What the staff groups may do, granted by data migrations: one way for every app.

`group_grant("Editor", "newsletters", [...])` returns the pair of functions a migration's
`RunPython` takes: grant the app's permissions to the group (made now, as Django makes
permissions only after all migrations have run), and take them back.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions


def group_grant(group_name: str, app_label: str, codenames: list[str]):
    """Return (grant, take_back) for `RunPython`: `codenames` of `app_label` to the group."""

    def grant(apps, schema_editor):
        db = schema_editor.connection.alias
        config = global_apps.get_app_config(app_label)
        create_permissions(config, verbosity=0, using=db, apps=apps)
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
        permissions = list(
            Permission.objects.using(db).filter(
                content_type__app_label=app_label, codename__in=codenames
            )
        )
        if len(permissions) != len(codenames):
            missing = set(codenames) - {permission.codename for permission in permissions}
            raise RuntimeError(f"Permissions of {app_label} that do not exist: {sorted(missing)}")
        group, _ = Group.objects.using(db).get_or_create(name=group_name)
        group.permissions.add(*permissions)

    def take_back(apps, schema_editor):
        db = schema_editor.connection.alias
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
        group = Group.objects.using(db).filter(name=group_name).first()
        if group is not None:
            group.permissions.remove(
                *Permission.objects.using(db).filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )

    return grant, take_back
