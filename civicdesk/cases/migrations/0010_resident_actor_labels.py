"""Timeline entries by residents say "resident", not the person's name or e-mail (decision 29)."""

from django.db import migrations

STAFF_ROLES = ["agent", "staff", "supervisor", "admin"]


def relabel(apps, schema_editor):
    events = apps.get_model("cases", "CaseEvent").objects
    events.filter(actor__isnull=False).exclude(actor__role__in=STAFF_ROLES).update(actor_label="resident")


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_follower_confirmed"), ("accounts", "0002_initial")]

    operations = [migrations.RunPython(relabel, migrations.RunPython.noop, elidable=True)]
