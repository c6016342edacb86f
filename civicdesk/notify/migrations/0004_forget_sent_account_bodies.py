"""Forget the bodies of account e-mails already sent or cancelled: their reset and confirm links."""

from django.db import migrations


def forget(apps, schema_editor):
    OutboxMessage = apps.get_model("notify", "OutboxMessage")
    OutboxMessage.objects.filter(kind="account", status__in=["sent", "cancelled"]).update(body="")


class Migration(migrations.Migration):
    dependencies = [("notify", "0003_lease_message_id")]

    operations = [migrations.RunPython(forget, migrations.RunPython.noop, elidable=True)]
