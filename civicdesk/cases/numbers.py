"""Case numbers: YY-NNNNNN, unique, handed out without a lock held through the caller's transaction.

On PostgreSQL each year has its own sequence (`cases_number_2026`): `nextval` never waits for
another transaction and is never rolled back, so two submissions never queue behind each other, at
the price of gaps (a failed submission's number is not reused; decision 32). The sequence is created
the first time a process needs a year, on a connection of its own (committed at once, so a second
process creating it too waits for nobody's case transaction). Next year's sequence is created ahead
of time in December (`prepare_next_year`: by `sla_watch`'s sweeps, and by each process's first
number in December), so the first case of the year pays no DDL; creating on first use remains the
fallback. On SQLite, where writers are serialised anyway, a counter row per year (`CaseNumber`) is
bumped inside the caller's transaction.
"""

from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from .models import Case, CaseNumber

# Years whose sequence this process has seen exist: a lookup costs no statement after the first.
_known_years = set()


def format_number(year, n):
    return f"{year % 100:02d}-{n:06d}"


def next_numbers(count, year):
    """`count` new case numbers of `year`, ascending (not necessarily consecutive on PostgreSQL)."""
    take = _from_sequence if connection.vendor == "postgresql" else _from_counter
    values = take(year, count)
    return [format_number(year, n) for n in values]


def sequence_name(year):
    return f"cases_number_{int(year)}"


def skip_past(number, year):
    """After a clash with `number` (a case holds it already), make sure the next number is free.

    A clash means numbers were given without this counter (a restored or copied database whose
    sequence started over): the sequence is moved past the highest number of the year, which costs
    one scan of that year's numbers, once. A counter bumped in a transaction that rolled back is set
    past the clashing number.
    """
    highest = max(int(number.partition("-")[2]), _highest(year))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(%s, GREATEST(%s, COALESCE(pg_sequence_last_value(%s::regclass), 0)))",
                [sequence_name(year), highest, sequence_name(year)],
            )
    else:
        CaseNumber.objects.filter(year=year, last__lt=highest).update(last=highest)


def _highest(year):
    """The highest number of `year` any case holds (0 if none)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(MAX(CAST(substr(number, 4) AS BIGINT)), 0) FROM {Case._meta.db_table} "  # noqa: S608 - model's table
            "WHERE number LIKE %s",
            [f"{year % 100:02d}-%"],
        )
        return cursor.fetchone()[0]


# ---------------------------------------------------------------- PostgreSQL


def _from_sequence(year, count):
    if year not in _known_years:
        create_sequence(year)
        _known_years.add(year)
    prepare_next_year()
    with connection.cursor() as cursor:
        if count == 1:
            cursor.execute("SELECT nextval(%s)", [sequence_name(year)])
            return [cursor.fetchone()[0]]
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence_name(year), count])
        return sorted(row[0] for row in cursor.fetchall())


def create_sequence(year, using="default"):
    """Make sure the year's sequence exists, in a short transaction of its own.

    It starts after the year's old counter (numbers given before sequences existed). Two processes
    creating it at once can collide in the catalogue (CREATE ... IF NOT EXISTS is not atomic
    against a concurrent create): the loser finds it made by the winner on its next try.
    """
    own = connections.create_connection(using)
    try:
        for attempt in range(3):
            try:
                with own.cursor() as cursor:
                    cursor.execute(f"SELECT last FROM {CaseNumber._meta.db_table} WHERE year = %s", [year])  # noqa: S608 - model's table
                    row = cursor.fetchone()
                    start = (row[0] if row else 0) + 1
                    name = sequence_name(year)
                    cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name} START WITH {int(start)}")
                return
            except DatabaseError:
                if attempt == 2:
                    raise
    finally:
        own.close()


def prepare_next_year(now=None):
    """In December (UTC, like the numbers' years), make sure next year's sequence exists: once per
    process, then a set look-up. Nothing to prepare on SQLite. Returns the year prepared, or None."""
    now = now or timezone.now()
    year = now.year + 1
    if now.month != 12 or year in _known_years or connection.vendor != "postgresql":
        return None
    create_sequence(year)
    _known_years.add(year)
    return year


def forget_known_sequences():
    """For tests that drop sequences: the next use checks again."""
    _known_years.clear()


# ---------------------------------------------------------------- SQLite (and any other database)


def _from_counter(year, count):
    with transaction.atomic(savepoint=False):  # inside a caller's transaction, no savepoint to pay for
        last = _bump_counter(year, count)
        if last is None:  # first case of the year
            CaseNumber.objects.get_or_create(year=year)
            last = _bump_counter(year, count)
    return range(last - count + 1, last + 1)


def _bump_counter(year, count):
    """One UPDATE ... RETURNING (SQLite 3.35+): the new value at once, in the caller's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {CaseNumber._meta.db_table} SET last = last + %s WHERE year = %s RETURNING last",  # noqa: S608 - table name from the model
            [count, year],
        )
        row = cursor.fetchone()
    return row[0] if row else None
