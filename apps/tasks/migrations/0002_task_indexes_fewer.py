"""Fewer indexes on tasks: every status change writes a new entry in each of them (the column is
indexed, so the update is never HOT), and every task changes status twice.

* ``status`` alone: served by (status, updated_at); ``organization`` alone: served by the
  composite indexes that lead with it, now including (organization, status) for the running cap.
* The ``varchar_pattern_ops`` copies PostgreSQL gets for ``public_id`` and ``model_id`` serve only
  ``LIKE 'prefix%'`` searches, which nothing runs.
"""
import django.db.models.deletion
from django.db import migrations, models

PATTERN_INDEXED = ("public_id", "model_id")


def _pattern_index_names(schema_editor, model):
    table = model._meta.db_table
    return [(schema_editor._create_index_name(table, [column], suffix="_like"), column) for column in PATTERN_INDEXED]


def drop_pattern_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column in _pattern_index_names(schema_editor, apps.get_model("tasks", "Task")):
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_pattern_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    model = apps.get_model("tasks", "Task")
    for name, column in _pattern_index_names(schema_editor, model):
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} ON "
                              f"{schema_editor.quote_name(model._meta.db_table)} ({schema_editor.quote_name(column)} "
                              f"varchar_pattern_ops)")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('tasks', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='task',
            name='organization',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='tasks', to='accounts.organization'),
        ),
        migrations.AlterField(
            model_name='task',
            name='status',
            field=models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('succeeded', 'Succeeded'), ('failed', 'Failed'), ('canceled', 'Canceled'), ('expired', 'Expired')], default='queued', max_length=12),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['organization', 'status'], name='tasks_task_organiz_ab0744_idx'),
        ),
        migrations.RunPython(drop_pattern_indexes, create_pattern_indexes),
    ]
