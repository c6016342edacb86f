"""Full-text search indexes for civicdesk.cases.search (PostgreSQL GIN, SQLite FTS5 with triggers).

The SQL lives in civicdesk/cases/search.py next to the queries that must match it. No model state
changes: these objects are invisible to Django's autodetector.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from civicdesk.cases.search import install_search_schema

    install_search_schema(schema_editor.connection)


def backwards(apps, schema_editor):
    from civicdesk.cases.search import uninstall_search_schema

    uninstall_search_schema(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
