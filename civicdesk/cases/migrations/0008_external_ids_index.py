"""A GIN index on the ids a case has in other systems, for work-order updates that name their own id.

PostgreSQL only (SQLite has no GIN; its look-up scans, fine at its scale). Partial: most cases
link to no other system, and an index entry for each `{}` would be work on every insert for nothing.
"""

from django.db import migrations

INDEX = (
    "CREATE INDEX IF NOT EXISTS case_external_ids_idx ON cases_case "
    "USING gin (external_ids jsonb_path_ops) WHERE external_ids <> '{}'::jsonb"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS case_external_ids_idx")


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_lean_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
