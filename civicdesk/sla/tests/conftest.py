from datetime import time

import pytest

from civicdesk.sla.models import BusinessCalendar, EscalationStep, SLAPolicy, WorkingPeriod


@pytest.fixture
def office(db):
    """Monday to Friday, 9:00-12:00 and 13:00-17:00, US holidays in Massachusetts."""
    calendar = BusinessCalendar.objects.create(
        name="Office", time_zone="America/New_York", holiday_country="US", holiday_subdivision="MA"
    )
    for day in range(5):
        WorkingPeriod.objects.create(calendar=calendar, weekday=day, start=time(9), end=time(12))
        WorkingPeriod.objects.create(calendar=calendar, weekday=day, start=time(13), end=time(17))
    return calendar


@pytest.fixture
def pothole_policy(cast, office):
    """Respond in 4 business hours, resolve in 14 (two days), at risk at 50 %."""
    policy = SLAPolicy.objects.create(
        name="Potholes",
        service=cast.pothole,
        calendar=office,
        response_hours=4,
        resolution_hours=14,
        at_risk_percent=50,
    )
    EscalationStep.objects.create(policy=policy, trigger="at_risk", add_tag="at-risk", notify_supervisor=True)
    EscalationStep.objects.create(
        policy=policy, trigger="breach", raise_priority=True, notify_supervisor=True
    )
    EscalationStep.objects.create(
        policy=policy, trigger="after_breach", hours_after=8, reassign_user=cast.dave, notify_supervisor=False
    )
    return policy
