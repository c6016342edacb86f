"""Open cases nobody holds, per department, in the queue's order: "Unassigned in my department".

At 10M cases PostgreSQL counted that saved view (and listed it) by reading the table in physical
order until it met enough open, unassigned cases of the department; they sit among the newest
rows, so it read most of the table. The partial index holds only those cases (a few per cent).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0013_number_sequences_policy_version")]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(
                    ("assignee__isnull", True),
                    ("status__in", ["in_progress", "new", "open", "reopened", "waiting_on_resident"]),
                ),
                fields=["department", "priority", "expected_at", "created_at", "id"],
                name="case_open_unassigned_idx",
            ),
        ),
    ]
