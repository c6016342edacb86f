"""Residents' comments become their own event kind; they were public replies with a "from" key.

The search index covers the new kind too, so it is rebuilt around the change.
"""

from django.db import migrations, models


def _relabel(apps, schema_editor, old, new):
    from civicdesk.cases.search import reindex_messages

    events = apps.get_model("cases", "CaseEvent").objects
    if new == "comment":
        events.filter(kind=old, changes__has_key="from").update(kind=new, changes={})
    else:
        events.filter(kind=old).update(kind=new, changes={"from": [None, "reporter"]})
    reindex_messages(schema_editor.connection)


def forwards(apps, schema_editor):
    _relabel(apps, schema_editor, "reply", "comment")


def backwards(apps, schema_editor):
    _relabel(apps, schema_editor, "comment", "reply")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_resident_actor_labels"),
    ]

    operations = [
        migrations.AlterField(
            model_name="caseevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("submitted", "Submitted"),
                    ("acknowledged", "Acknowledged"),
                    ("assigned", "Assigned"),
                    ("status", "Status changed"),
                    ("priority", "Priority changed"),
                    ("recategorised", "Service changed"),
                    ("reply", "Public reply"),
                    ("comment", "Resident comment"),
                    ("note", "Internal note"),
                    ("attachment", "Photo added"),
                    ("merged", "Merged as duplicate"),
                    ("duplicate_added", "Duplicate merged in"),
                    ("reopened", "Reopened"),
                    ("contact_viewed", "Reporter contact viewed"),
                    ("followed", "Someone else reported it too"),
                    ("routed", "Routed"),
                    ("split", "Sub-case opened"),
                    ("escalated", "Escalated"),
                    ("tagged", "Tags changed"),
                    ("linked", "Linked to another system"),
                ],
                max_length=24,
            ),
        ),
        migrations.RunPython(forwards, backwards, elidable=True),
    ]
