"""A follower confirming their address or stopping the e-mails is a timeline event of its own."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0011_resident_comment_kind"),
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
                    ("follower_confirmed", "Follower confirmed e-mail updates"),
                    ("follower_stopped", "Follower stopped e-mail updates"),
                    ("routed", "Routed"),
                    ("split", "Sub-case opened"),
                    ("escalated", "Escalated"),
                    ("tagged", "Tags changed"),
                    ("linked", "Linked to another system"),
                ],
                max_length=24,
            ),
        ),
    ]
