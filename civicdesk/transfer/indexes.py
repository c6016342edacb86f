"""Secondary indexes and constraints set aside while a bulk load fills empty tables, then rebuilt.

During a COPY, PostgreSQL inserts into every index row by row (the full-text GIN index the dearest)
and, at commit, checks every deferred foreign key row by row. Building each index once over the
loaded table, and validating each foreign key with one join, costs a fraction of that. The primary
key and the unique indexes that `INSERT ... ON CONFLICT` relies on stay in place.

Only ever inside the transaction that loads the data, under an exclusive lock: should the load fail,
the rollback restores the indexes with everything else, and no one sees the table without them.
"""

CONSTRAINTS = """
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype FROM pg_constraint
WHERE conrelid = ANY(%s::regclass[]) AND (contype = 'u' OR contype = 'f' AND confrelid = ANY(%s::regclass[]))
ORDER BY contype, 1, 2
"""
# Plain (not unique, not constraint-backed) indexes.
INDEXES = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary ORDER BY 1
"""


def set_aside(cursor, tables, referenced, quote):
    """Drop the plain indexes and unique constraints of `tables`, and their foreign keys to
    `referenced` tables (names from the catalog); return the statements that restore them, indexes
    first, foreign keys last. Dropping a foreign key locks the table it references too: the caller
    must already hold those locks, or not mind them."""
    cursor.execute(CONSTRAINTS, [list(tables), list(referenced)])
    constraints = cursor.fetchall()  # foreign keys ('f') before unique ones ('u'): dropped in this order
    cursor.execute(INDEXES, [list(tables)])
    indexes = cursor.fetchall()
    for table, name, _definition, _kind in constraints:
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    restore = [definition for _name, definition in indexes]
    restore += [  # unique constraints before the foreign keys that could lean on them
        f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}"
        for table, name, definition, _kind in reversed(constraints)
    ]
    return restore
