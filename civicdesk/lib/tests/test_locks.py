import pytest
from django.db import connection, transaction

from civicdesk.lib import locks


def held_advisory_locks():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted"
        )
        return cursor.fetchone()[0]


def test_it_refuses_to_lock_outside_a_transaction():
    with pytest.raises(RuntimeError, match="outside a transaction"):
        locks.hold("sms", "+16175550123")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_holds_the_lock_until_the_transaction_ends():
    with transaction.atomic():
        locks.hold("sms", "+16175550123")
        assert held_advisory_locks() == 1
    assert held_advisory_locks() == 0
