"""Editors see the paywall report, the meter's what-if and the events they count.

The two reports have a place in the admin's index (proxy models, no table, no permissions of
their own); seeing them takes `insight.view_event`, as the events do.
"""

from django.db import migrations

from foundation.groups import group_grant

grant, take_back = group_grant("Editor", "insight", ["view_event"])


class Migration(migrations.Migration):

    dependencies = [
        ('insight', '0002_written_batches'),
    ]

    operations = [
        migrations.CreateModel(
            name='Report',
            fields=[
            ],
            options={
                'verbose_name': 'conversion report',
                'verbose_name_plural': 'conversion report',
                'proxy': True,
                'default_permissions': (),
                'indexes': [],
                'constraints': [],
            },
            bases=('insight.event',),
        ),
        migrations.CreateModel(
            name='Meter',
            fields=[
            ],
            options={
                'verbose_name': 'meter what-if',
                'verbose_name_plural': 'meter what-if',
                'proxy': True,
                'default_permissions': (),
                'indexes': [],
                'constraints': [],
            },
            bases=('insight.meterdemand',),
        ),
        migrations.RunPython(grant, take_back),
    ]
