"""Fewer indexes on tasks: every status change writes a new entry in each of them (the column is
indexed, so the update is never HOT), and every task changes status twice.

* ``status`` alone: served by (status, updated_at); ``organization`` alone: served by the
  composite indexes that lead with it, now including (organization, status) for the running cap.
* The ``varchar_pattern_ops`` copies PostgreSQL gets for ``public_id`` and ``model_id`` serve only
  ``LIKE 'prefix%'`` searches, which nothing runs.
"""
import django.db.models.deletion
from django.db import migrations, models

from apps.core.migration_ops import drop_pattern_indexes


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
        drop_pattern_indexes('tasks', 'Task', ('public_id', 'model_id')),
    ]
