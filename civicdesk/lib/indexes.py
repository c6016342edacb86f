"""Secondary indexes and foreign keys set aside during a large bulk load into PostgreSQL, then rebuilt.

Building a B-tree or GIN index once over ten million rows is several times cheaper than updating
it ten million times, and one anti-join validates a foreign key faster than a trigger per row.
So a loader that fills (mostly) empty tables drops everything but the primary keys, loads, and
puts it all back: the same definitions, read from the catalogue.

Two loaders use it:
- `generate_cases` (decision 37) sets aside in its own transaction, loads on other connections and
  rebuilds on several connections at once;
- `import_cases`' first import (decision 35) sets aside, loads and rebuilds inside its one
  transaction (`restore` then runs each statement in turn on that connection): should the load
  fail, the rollback restores the schema with everything else.

The statements that put things back are written to a table (`SAVED`) in the same transaction as
the drops, so a load that is killed half-way leaves a note: the next `set_aside` (or `restore`)
rebuilds what it finds there first. Nothing is lost but time.
"""

from concurrent.futures import ThreadPoolExecutor

from django.db import connections, transaction

SAVED = "bulk_deferred_ddl"

# Index and constraint definitions of `tables`, primary keys excepted: the statement that drops
# each, and the statements that put it back with the phase they belong to. A unique constraint
# comes back as its index (built beside the others: CREATE INDEX takes a lock that lets other
# builds run, ALTER TABLE one that waits for them all) and then, at once, as the constraint using
# that index. Foreign keys come last: only those to `references` when given (dropping a foreign
# key locks the table it references until the transaction ends). Unique indexes that back no
# constraint (partial ones, which `INSERT ... ON CONFLICT` infers) stay when `keep_unique`.
INDEX, UNIQUE, FOREIGN_KEY = 0, 1, 2
_DEFINITIONS = """
SELECT format('ALTER TABLE %%I DROP CONSTRAINT %%I', c.conrelid::regclass::text, c.conname),
       pg_get_indexdef(c.conindid), %(index)s
  FROM pg_constraint c
 WHERE c.conrelid = ANY(%(tables)s::regclass[]) AND c.contype = 'u'
UNION ALL
SELECT NULL,
       format('ALTER TABLE %%I ADD CONSTRAINT %%I UNIQUE USING INDEX %%I', c.conrelid::regclass::text,
              c.conname, c.conindid::regclass::text), %(unique)s
  FROM pg_constraint c
 WHERE c.conrelid = ANY(%(tables)s::regclass[]) AND c.contype = 'u'
UNION ALL
SELECT format('ALTER TABLE %%I DROP CONSTRAINT %%I', c.conrelid::regclass::text, c.conname),
       format('ALTER TABLE %%I ADD CONSTRAINT %%I %%s', c.conrelid::regclass::text, c.conname,
              pg_get_constraintdef(c.oid)), %(foreign_key)s
  FROM pg_constraint c
 WHERE c.conrelid = ANY(%(tables)s::regclass[]) AND c.contype = 'f'
   AND (%(references)s::regclass[] IS NULL OR c.confrelid = ANY(%(references)s::regclass[]))
UNION ALL
SELECT format('DROP INDEX %%I', i.indexrelid::regclass::text), pg_get_indexdef(i.indexrelid), %(index)s
  FROM pg_index i
 WHERE i.indrelid = ANY(%(tables)s::regclass[]) AND NOT i.indisprimary
   AND NOT (%(keep_unique)s AND i.indisunique)
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype <> 'f')
"""


def definitions(cursor, tables, references=None, keep_unique=False):
    """[(drop statement or None, create statement, phase)] of what `set_aside` would set aside."""
    cursor.execute(
        _DEFINITIONS,
        {
            "tables": list(tables),
            "references": None if references is None else list(references),
            "keep_unique": keep_unique,
            **{"index": INDEX, "unique": UNIQUE, "foreign_key": FOREIGN_KEY},
        },
    )
    return cursor.fetchall()


def set_aside(connection, tables, *, references=None, keep_unique=False):
    """Drop the secondary indexes, unique constraints and foreign keys of `tables` (names), noting
    how to rebuild them; foreign keys only to `references` when given, unique indexes that back no
    constraint kept when `keep_unique`. Inside a caller's transaction, the drops stay in it.
    Returns how many were set aside."""
    restore(connection)  # an earlier load that did not finish
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        found = definitions(cursor, tables, references, keep_unique)
        cursor.execute(f"CREATE TABLE {SAVED} (statement text NOT NULL, phase smallint NOT NULL)")
        # Foreign keys first: a unique constraint cannot go while a foreign key depends on it.
        for drop, _create, _phase in sorted(found, key=lambda row: row[2] != FOREIGN_KEY):
            if drop:
                cursor.execute(drop)
        cursor.executemany(
            f"INSERT INTO {SAVED} (statement, phase) VALUES (%s, %s)",  # noqa: S608 - constant name
            [(create, phase) for _drop, create, phase in found],
        )
    return sum(1 for drop, _create, _phase in found if drop)


def restore(connection, workers=2, memory="2GB"):
    """Rebuild what `set_aside` dropped: the indexes (GIN, the slowest, first), then the unique
    constraints on their indexes, then the foreign keys (each validated by one scan). Outside a
    transaction the indexes are built on `workers` connections at once; inside one (a load that
    set aside in its own transaction), in turn on `connection`. Returns the number of statements run."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [SAVED])
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute(f"SELECT statement, phase FROM {SAVED}")  # noqa: S608 - constant name
        saved = cursor.fetchall()
    in_turn = connection.in_atomic_block or workers <= 1
    for phase in (INDEX, UNIQUE, FOREIGN_KEY):
        group = sorted((s for s, p in saved if p == phase), key=lambda s: " USING gin " not in s)
        if in_turn:
            _run_in_turn(connection, group, memory)
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(lambda statement: _run(connection.alias, statement, memory), group))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {SAVED}")
    return len(saved)


def _run_in_turn(connection, statements, memory):
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [memory])  # SET LOCAL
        for statement in statements:
            cursor.execute(statement)


def _run(alias, statement, memory):
    """One rebuild on this thread's own connection, with room to sort in memory."""
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('maintenance_work_mem', %s, false)", [memory])
            cursor.execute(statement)
    finally:
        connection.close()
