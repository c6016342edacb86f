"""The shared test cast: a small city with two departments and the people who use it.

alice  resident          bob    Public Works staff      carol  Parks staff
dave   Public Works supervisor                          erin   311 agent
root   administrator
"""

import threading
import time
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import connection

from civicdesk.accounts.models import Role, User
from civicdesk.cases.models import Datatype, Department, Service, ServiceAttribute

PASSWORD = "demo"  # noqa: S105


@dataclass
class Cast:
    alice: User
    bob: User
    carol: User
    dave: User
    erin: User
    root: User
    public_works: Department
    parks: Department
    pothole: Service
    tree: Service

    @property
    def people(self):
        return {n: getattr(self, n) for n in ("alice", "bob", "carol", "dave", "erin", "root")}


def person(email, role, *departments, name=""):
    user = User.objects.create_user(email, PASSWORD, role=role, full_name=name or email.split("@")[0].title())
    user.departments.set(departments)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def make_cast():
    public_works = Department.objects.create(
        code="public-works",
        name="Public Works",
        email="pw@city.test",
        translations={"es": {"name": "Obras Públicas"}},
    )
    parks = Department.objects.create(
        code="parks", name="Parks", email="parks@city.test", translations={"es": {"name": "Parques"}}
    )
    pothole = Service.objects.create(
        code="pothole",
        name="Pothole",
        group="Streets",
        default_department=public_works,
        translations={"es": {"name": "Bache", "group": "Calles"}},
    )
    ServiceAttribute.objects.create(
        service=pothole,
        code="depth",
        label="How deep is it?",
        datatype=Datatype.SINGLE,
        required=True,
        order=1,
        values=[{"key": "shallow", "name": "Shallow"}, {"key": "deep", "name": "Deep"}],
    )
    ServiceAttribute.objects.create(
        service=pothole, code="width_cm", label="Width in cm", datatype=Datatype.NUMBER, order=2
    )
    tree = Service.objects.create(code="tree", name="Fallen tree", group="Parks", default_department=parks)
    return Cast(
        alice=person("alice@demo.test", Role.RESIDENT, name="Alice Resident"),
        bob=person("bob@demo.test", Role.STAFF, public_works, name="Bob Worker"),
        carol=person("carol@demo.test", Role.STAFF, parks, name="Carol Ranger"),
        dave=person("dave@demo.test", Role.SUPERVISOR, public_works, name="Dave Boss"),
        erin=person("erin@demo.test", Role.AGENT, name="Erin Agent"),
        root=person("root@demo.test", Role.ADMIN, name="Root Admin"),
        public_works=public_works,
        parks=parks,
        pothole=pothole,
        tree=tree,
    )


# ---------------------------------------------------------------- two connections at once (PostgreSQL)


def run_together(*calls):
    """Run each call in its own thread (so its own connection), all released at the same instant."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the test inspects what each side got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c), name=f"actor-{i}") for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "deadlock: an action never finished"
    return results


def wait_for_a_lock_waiter(polls=500):
    """Poll pg_stat_activity (from the lock holder's own connection) until a session waits on a lock."""
    with connection.cursor() as cursor:
        for _ in range(polls):
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # else the view is frozen for the transaction
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.01)
    return False
