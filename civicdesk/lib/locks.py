"""A lock named by a few strings, held until the current transaction ends."""

import hashlib

from django.db import connection


def hold(*names):
    """Serialise transactions that work on the same thing (one resident's messages on one channel):
    the second waits here until the first has committed, then sees what it wrote.

    PostgreSQL: a transaction-level advisory lock (released at commit or rollback, so safe behind
    PgBouncer's transaction pooling) keyed by a 64-bit digest of the names; two names sharing a
    digest only wait for each other. SQLite needs none: every transaction there takes the database's
    write lock when it begins (`transaction_mode` IMMEDIATE in settings)."""
    if not connection.in_atomic_block:
        raise RuntimeError("locks.hold() outside a transaction would be released at once")
    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b("\0".join(names).encode(), digest_size=8).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)])
