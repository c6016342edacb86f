from django.tasks import task

from .actions import process


@task()
def process_message(message_id):
    message = process(message_id)
    return message.status if message is not None else None
