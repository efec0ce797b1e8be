"""Migration operations shared by the apps."""
from __future__ import annotations

from django.db import migrations


def drop_pattern_indexes(app_label: str, model_name: str, columns: tuple[str, ...]) -> migrations.RunPython:
    """Drops the ``varchar_pattern_ops`` copy PostgreSQL gets beside the index of an indexed or
    unique CharField. It serves only ``LIKE 'prefix%'`` searches; on a table written per task it
    is one more index entry per row for nothing. A no-op on other databases; reversible."""

    def names(schema_editor, apps):
        model = apps.get_model(app_label, model_name)
        table = model._meta.db_table
        return table, [(schema_editor._create_index_name(table, [column], suffix="_like"), column) for column in columns]

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name, _column in names(schema_editor, apps)[1]:
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        table, indexes = names(schema_editor, apps)
        for name, column in indexes:
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} ON "
                                  f"{schema_editor.quote_name(table)} ({schema_editor.quote_name(column)} varchar_pattern_ops)")

    return migrations.RunPython(forward, backward)
