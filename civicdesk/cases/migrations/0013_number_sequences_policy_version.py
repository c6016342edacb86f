"""Case numbers from a PostgreSQL sequence per year (carrying on from the old counters), and the
policy version row that cached policy is compared against."""

from django.db import migrations, models


def counters_to_sequences(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite keeps its counter rows
    CaseNumber = apps.get_model("cases", "CaseNumber")
    with schema_editor.connection.cursor() as cursor:
        for counter in CaseNumber.objects.all():
            # Past the counter and past any number a case of that year already holds.
            cursor.execute(
                "SELECT COALESCE(MAX(substr(number, 4)::bigint), 0) FROM cases_case "
                "WHERE number ~ '^[0-9]{2}-[0-9]{6}$' AND substr(number, 1, 2) = %s",
                [f"{counter.year % 100:02d}"],
            )
            start = max(counter.last, cursor.fetchone()[0]) + 1
            name = f"cases_number_{int(counter.year)}"
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name} START WITH {int(start)}")


def sequences_to_counters(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    CaseNumber = apps.get_model("cases", "CaseNumber")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relkind = 'S' AND relname ~ '^cases_number_[0-9]+$'")
        for (name,) in cursor.fetchall():
            cursor.execute(f"SELECT last_value, is_called FROM {name}")
            last, called = cursor.fetchone()
            year = int(name.rsplit("_", 1)[1])
            CaseNumber.objects.update_or_create(year=year, defaults={"last": last if called else last - 1})
            cursor.execute(f"DROP SEQUENCE {name}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0012_follower_event_kinds")]

    operations = [
        migrations.RunPython(counters_to_sequences, sequences_to_counters),
        migrations.CreateModel(
            name="PolicyVersion",
            fields=[
                ("name", models.CharField(max_length=20, primary_key=True, serialize=False)),
                ("token", models.CharField(max_length=32)),
            ],
        ),
    ]
