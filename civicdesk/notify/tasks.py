from django.tasks import default_task_backend, task
from django.utils import timezone

from .delivery import deliver
from .models import OutboxMessage


@task()
def deliver_message(message_id):
    status = deliver(message_id)
    if status in OutboxMessage.RETRIED and default_task_backend.supports_defer:
        # Failed this time: come back when the backoff (or the slow retry) is over.
        retry_at = OutboxMessage.objects.values_list("next_attempt_at", flat=True).get(pk=message_id)
        deliver_message.using(run_after=max(retry_at, timezone.now())).enqueue(message_id)
    return status
