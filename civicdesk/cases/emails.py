"""What the outbox needs from cases to render a case e-mail when it is sent (notify.outbox)."""

from .models import Case


def acknowledgement_context(message):
    """The reporter's acknowledgement, as the request would have rendered it; None if the case is gone."""
    case = Case.objects.select_related("service").filter(pk=message.case_id).first()
    if case is None:
        return None
    return {"case": case, "case_url": case.tracking_url}


def register():
    """Called from the app config: the acknowledgement is rendered by the worker, not the request."""
    from civicdesk.notify.outbox import render_when_sent

    render_when_sent("acknowledgement", acknowledgement_context)
