"""Secondary indexes and foreign keys set aside during a large bulk load into PostgreSQL, then rebuilt.

Building a B-tree or GIN index once over ten million rows is several times cheaper than updating
it ten million times, and one anti-join validates a foreign key faster than a trigger per row.
So a loader that fills (mostly) empty tables drops everything but the primary keys, loads, and
puts it all back: the same definitions, read from the catalogue, rebuilt on several connections.

The statements that put things back are written to a table (`SAVED`) in the same transaction as
the drops, so a load that is killed half-way leaves a note: the next `set_aside` (or `restore`)
rebuilds what it finds there first. Nothing is lost but time.
"""

from concurrent.futures import ThreadPoolExecutor

from django.db import connections, transaction

SAVED = "bulk_deferred_ddl"

# Index and constraint definitions of `tables`, primary keys excepted: the statement that drops
# each and the one that recreates it. Unique and foreign-key constraints go through ALTER TABLE.
_DEFINITIONS = """
SELECT format('ALTER TABLE %%I DROP CONSTRAINT %%I', c.conrelid::regclass::text, c.conname),
       format('ALTER TABLE %%I ADD CONSTRAINT %%I %%s', c.conrelid::regclass::text, c.conname,
              pg_get_constraintdef(c.oid)),
       c.contype = 'f'
  FROM pg_constraint c
 WHERE c.conrelid = ANY(%(tables)s::regclass[]) AND c.contype IN ('u', 'f')
UNION ALL
SELECT format('DROP INDEX %%I', i.indexrelid::regclass::text), pg_get_indexdef(i.indexrelid), false
  FROM pg_index i
 WHERE i.indrelid = ANY(%(tables)s::regclass[]) AND NOT i.indisprimary
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype <> 'f')
"""


def set_aside(connection, tables):
    """Drop the secondary indexes, unique and foreign-key constraints of `tables` (names), noting how
    to rebuild them. Returns how many were set aside."""
    restore(connection)  # an earlier load that did not finish
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(_DEFINITIONS, {"tables": list(tables)})
        found = cursor.fetchall()
        cursor.execute(f"CREATE TABLE {SAVED} (statement text NOT NULL, foreign_key boolean NOT NULL)")
        # Foreign keys first: a unique constraint cannot go while a foreign key depends on it.
        for drop, _create, _fk in sorted(found, key=lambda row: not row[2]):
            cursor.execute(drop)
        cursor.executemany(
            f"INSERT INTO {SAVED} (statement, foreign_key) VALUES (%s, %s)",  # noqa: S608 - constant name
            [(create, fk) for _drop, create, fk in found],
        )
    return len(found)


def restore(connection, workers=2, memory="2GB"):
    """Rebuild what `set_aside` dropped, on `workers` connections at once (the biggest first: GIN
    indexes, then B-trees; foreign keys last, once the unique indexes they lean on exist). Returns
    the number of statements run."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [SAVED])
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute(f"SELECT statement, foreign_key FROM {SAVED}")  # noqa: S608 - constant name
        saved = cursor.fetchall()
    indexes = sorted((s for s, fk in saved if not fk), key=lambda s: " USING gin " not in s)
    for group in (indexes, [s for s, fk in saved if fk]):
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            list(pool.map(lambda statement: _run(connection.alias, statement, memory), group))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {SAVED}")
    return len(saved)


def _run(alias, statement, memory):
    """One rebuild on this thread's own connection, with room to sort in memory."""
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SET maintenance_work_mem = '{memory}'")
            cursor.execute(statement)
    finally:
        connection.close()
