"""Migration operations shared by the apps."""
from __future__ import annotations

from django.db import migrations


def drop_pattern_indexes(app_label: str, model_name: str, columns: tuple[str, ...]) -> migrations.RunPython:
    """Drops the ``varchar_pattern_ops`` copy PostgreSQL gets beside the index of an indexed or
    unique CharField. It serves only ``LIKE 'prefix%'`` searches; on a table written per task it
    is one more index entry per row for nothing. A no-op on other databases; reversible."""

    def each_index(apps, schema_editor):
        """(quoted index name, quoted table, quoted column), named as Django names them."""
        table = apps.get_model(app_label, model_name)._meta.db_table
        quote = schema_editor.quote_name
        for column in columns:
            yield quote(schema_editor._create_index_name(table, [column], suffix="_like")), quote(table), quote(column)

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for name, _table, _column in each_index(apps, schema_editor):
                schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for name, table, column in each_index(apps, schema_editor):
                schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column} varchar_pattern_ops)")

    return migrations.RunPython(forward, backward)
