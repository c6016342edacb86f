"""Full-text search over cases: PostgreSQL full text (GIN) or SQLite FTS5 behind one small interface.

What is searched: a case's number, description and address, and the messages people wrote on
its timeline (public replies, internal notes, residents' comments). A case matches when every
word of the query appears somewhere in it or its messages. How text becomes words, and each
backend's query syntax, are domain-free and live in civicdesk.lib.fulltext; this module knows the
case tables.

Schema (created by migration cases/0002_search, repaired by `ensure_search_schema`):
- PostgreSQL: expression GIN indexes on cases_case and on cases_caseevent (messages only).
- SQLite: external-content FTS5 tables `case_fts` and `case_event_fts`, kept in sync by triggers.
"""

import re

from django.db import connections
from django.db.models import BooleanField, Exists, OuterRef, Q, Subquery, Value
from django.db.models.expressions import RawSQL

from civicdesk.lib.fulltext import (
    FTS5_TOKENIZE,
    PG_DOCUMENT,
    PG_MATCH,
    Matches,
    estimated_rows,
    execute,
    fts5_query,
    pg_query,
    table_rows,
    words,
)

from .models import CaseEvent

MAX_TERMS = 8
LIST_UP_TO = 2000  # matches passed to the main query as a list of ids; more stay a sub-query...
COMMON_SHARE = 0.05  # ...unless the word is in this share of all cases: then each row is tested
# As cases.numbers makes them: six digits, more past 999,999 cases in a year.
CASE_NUMBER = re.compile(r"\d{2}-\d{6,}")

# The index expressions below and the queries share PG_DOCUMENT, so PostgreSQL uses the indexes.
_PG_CASE_DOCUMENT = PG_DOCUMENT.format(text="number || ' ' || description || ' ' || address")
# The messages searched: staff replies, internal notes and residents' comments. Routing and status
# events carry system text ("Routed to Public Works…") that would make every case match. The SQL
# below spells the same list out.
SEARCHED_KINDS = ["reply", "note", "comment"]
_SEARCHED_EVENTS = "kind IN ('reply', 'note', 'comment') AND message <> ''"
_PG_MESSAGE_DOCUMENT = PG_DOCUMENT.format(text="message")

POSTGRES_SCHEMA = [
    f"CREATE INDEX IF NOT EXISTS case_search_idx ON cases_case USING gin ({_PG_CASE_DOCUMENT})",
    f"CREATE INDEX IF NOT EXISTS case_event_search_idx ON cases_caseevent USING gin ({_PG_MESSAGE_DOCUMENT}) "
    f"WHERE {_SEARCHED_EVENTS}",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS case_search_idx",
    "DROP INDEX IF EXISTS case_event_search_idx",
]

_TOKENIZE = FTS5_TOKENIZE
SQLITE_TABLES = {
    "case_fts": "CREATE VIRTUAL TABLE IF NOT EXISTS case_fts USING fts5(number, description, address, "
    f"content='cases_case', content_rowid='id', {_TOKENIZE})",
    "case_event_fts": "CREATE VIRTUAL TABLE IF NOT EXISTS case_event_fts USING fts5(message, "
    f"content='cases_caseevent', content_rowid='id', {_TOKENIZE})",
}
SQLITE_TRIGGERS = {
    "case_fts_insert": """CREATE TRIGGER IF NOT EXISTS case_fts_insert AFTER INSERT ON cases_case BEGIN
  INSERT INTO case_fts(rowid, number, description, address)
  VALUES (new.id, new.number, new.description, new.address);
END""",
    "case_fts_delete": """CREATE TRIGGER IF NOT EXISTS case_fts_delete AFTER DELETE ON cases_case BEGIN
  INSERT INTO case_fts(case_fts, rowid, number, description, address)
  VALUES ('delete', old.id, old.number, old.description, old.address);
END""",
    "case_fts_update": """CREATE TRIGGER IF NOT EXISTS case_fts_update
AFTER UPDATE OF number, description, address ON cases_case BEGIN
  INSERT INTO case_fts(case_fts, rowid, number, description, address)
  VALUES ('delete', old.id, old.number, old.description, old.address);
  INSERT INTO case_fts(rowid, number, description, address)
  VALUES (new.id, new.number, new.description, new.address);
END""",
    # Only what people wrote (replies, notes, residents' comments) is indexed, not system messages.
    "case_event_fts_insert": """CREATE TRIGGER IF NOT EXISTS case_event_fts_insert
AFTER INSERT ON cases_caseevent WHEN new.kind IN ('reply', 'note', 'comment') AND new.message <> '' BEGIN
  INSERT INTO case_event_fts(rowid, message) VALUES (new.id, new.message);
END""",
    "case_event_fts_delete": """CREATE TRIGGER IF NOT EXISTS case_event_fts_delete
AFTER DELETE ON cases_caseevent WHEN old.kind IN ('reply', 'note', 'comment') AND old.message <> '' BEGIN
  INSERT INTO case_event_fts(case_event_fts, rowid, message) VALUES ('delete', old.id, old.message);
END""",
    # Events are append-only; this only guards against a direct UPDATE from outside the app.
    "case_event_fts_update": """CREATE TRIGGER IF NOT EXISTS case_event_fts_update
AFTER UPDATE OF kind, message ON cases_caseevent BEGIN
  INSERT INTO case_event_fts(case_event_fts, rowid, message)
  SELECT 'delete', old.id, old.message WHERE old.kind IN ('reply', 'note', 'comment') AND old.message <> '';
  INSERT INTO case_event_fts(rowid, message)
  SELECT new.id, new.message WHERE new.kind IN ('reply', 'note', 'comment') AND new.message <> '';
END""",
}
SQLITE_REBUILD = [
    "INSERT INTO case_fts(case_fts) VALUES ('rebuild')",
    "INSERT INTO case_event_fts(case_event_fts) VALUES ('delete-all')",
    "INSERT INTO case_event_fts(rowid, message) SELECT id, message FROM cases_caseevent "
    "WHERE kind IN ('reply', 'note', 'comment') AND message <> ''",
]
SQLITE_DROP = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS),
    *(f"DROP TABLE IF EXISTS {name}" for name in SQLITE_TABLES),
]


# ---------------------------------------------------------------- queries


def search_terms(text):
    """The words of `text` as the indexes see them (lower-case runs of letters and digits)."""
    return words(text, MAX_TERMS)


def search_cases(queryset, text, *, include_internal=True):
    """Narrow a Case queryset to the cases matching every word of `text`.

    A whole case number ("26-000123") finds that case through its unique index. Otherwise each
    word is looked up at once (one query per word): when it matches few cases their ids go into
    the query as a list, which every planner handles well; a very common word stays a sub-query.
    `include_internal=False` ignores internal notes, for searches whose results residents see.
    Empty or punctuation-only text leaves the queryset as it is.
    """
    if number := CASE_NUMBER.fullmatch((text or "").strip()):
        return queryset.filter(number=number.group(0))
    connection = connections[queryset.db]
    for term in search_terms(text):
        if connection.vendor == "postgresql":
            parts = _postgres_parts(term, include_internal)
        elif connection.vendor == "sqlite":
            parts = _sqlite_parts(term, include_internal)
        else:
            queryset = queryset.filter(_substring_match(term, include_internal))
            continue
        queryset = queryset.filter(_matching(connection, *parts))
    return queryset


# Two SELECTs of case ids per backend: in the case's own text, and in its messages. Constant SQL:
# the user's words (and the public-only switch) only ever travel as parameters.
_PG_IN_CASE = f"SELECT id FROM cases_case WHERE {_PG_CASE_DOCUMENT} {PG_MATCH}"  # noqa: S608
_PG_IN_MESSAGES = (
    f"SELECT case_id FROM cases_caseevent WHERE {_SEARCHED_EVENTS} "  # noqa: S608
    f"AND {_PG_MESSAGE_DOCUMENT} {PG_MATCH} AND (public OR %s)"
)
_SQLITE_IN_CASE = "SELECT rowid AS id FROM case_fts WHERE case_fts MATCH %s"
_SQLITE_IN_MESSAGES = (
    "SELECT e.case_id FROM case_event_fts JOIN cases_caseevent e ON e.id = case_event_fts.rowid "
    "WHERE case_event_fts MATCH %s AND e.kind IN ('reply', 'note', 'comment') AND (e.public OR %s)"
)


def _postgres_parts(term, include_internal):
    query = pg_query(term)
    return _PG_IN_CASE, _PG_IN_MESSAGES, [query, query, include_internal]


def _sqlite_parts(term, include_internal):
    query = fts5_query(term)
    return _SQLITE_IN_CASE, _SQLITE_IN_MESSAGES, [query, query, include_internal]


def _matching(connection, in_case, in_messages, params):
    """A filter for the cases matching one word: a list of ids, a sub-query, or a test of each row.

    Full-text selectivity is hard to estimate, and a wrong guess makes PostgreSQL scan every open
    case for a word that matches two. So the ids are fetched first (UNION ALL streams: the LIMIT
    stops it early) and a selective word becomes a primary-key lookup. More matches stay a UNION
    sub-query (one semi-join), whose cost grows with the number of matches: most of a second for
    a word in one case of ten at 1M cases. Such a common word (by PostgreSQL's statistics of the
    search index, which estimate word counts closely) is instead tested on each case as the query
    walks its order's index, which finds a page of matches after a few hundred cases.
    """
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        # Asked first when the answer settles it: fetching the ids of a word in one case of ten
        # builds a bitmap of all its matches before the LIMIT applies (1 s at 2M cases).
        if postgres and _is_common(cursor, in_case, params[0], more_than=LIST_UP_TO):
            return _row_matches(params[0], include_internal=params[2])
        cursor.execute(f"{in_case} UNION ALL {in_messages} LIMIT %s", [*params, LIST_UP_TO + 1])
        rows = cursor.fetchall()
        if len(rows) <= LIST_UP_TO:
            return Q(pk__in=sorted({row[0] for row in rows}))
        if postgres and _is_common(cursor, in_case, params[0]):
            return _row_matches(params[0], include_internal=params[2])
    return Q(pk__in=RawSQL(f"{in_case} UNION {in_messages}", params))  # noqa: S611


def _is_common(cursor, in_case, query, more_than=None):
    """Whether PostgreSQL expects `query` in at least COMMON_SHARE of all cases (and, when
    `more_than` is given, in more cases than that, by statistics of an analysed table)."""
    expected = estimated_rows(cursor, in_case, [query])
    cases = table_rows(cursor, "cases_case")  # -1 until first analyzed: then any word is common
    if more_than is not None and (cases <= 0 or expected <= more_than):
        return False
    return expected >= COMMON_SHARE * max(cases, 1)


def _row_matches(query, include_internal):
    messages = CaseEvent.objects.filter(case=OuterRef("pk"), kind__in=SEARCHED_KINDS).exclude(message="")
    if not include_internal:
        messages = messages.filter(public=True)
    # A scalar sub-query (first match or NULL) rather than EXISTS: PostgreSQL would turn an EXISTS
    # into a hash of every matching message, the very collection this avoids.
    first = messages.filter(Matches(query, "message")).values(found=Value(True))[:1]
    return Q(Matches(query, "number", "description", "address")) | Q(
        Subquery(first, output_field=BooleanField())
    )


def _substring_match(term, include_internal):
    """Other databases: a slow substring scan, good enough for a trial run."""
    events = CaseEvent.objects.filter(case=OuterRef("pk"), kind__in=SEARCHED_KINDS, message__icontains=term)
    if not include_internal:
        events = events.filter(public=True)
    return (
        Q(number__icontains=term)
        | Q(description__icontains=term)
        | Q(address__icontains=term)
        | Q(Exists(events))
    )


# ---------------------------------------------------------------- schema


def install_search_schema(connection):
    """Create the search indexes (idempotent). Called by migration cases/0002_search."""
    if connection.vendor == "postgresql":
        execute(connection, POSTGRES_SCHEMA)
    elif connection.vendor == "sqlite":
        execute(connection, [*SQLITE_TABLES.values(), *SQLITE_TRIGGERS.values(), *SQLITE_REBUILD])


def uninstall_search_schema(connection):
    if connection.vendor == "postgresql":
        execute(connection, POSTGRES_DROP)
    elif connection.vendor == "sqlite":
        execute(connection, SQLITE_DROP)


def reindex_messages(connection):
    """Rebuild the index of messages, after a change to which kinds of event it holds."""
    if connection.vendor == "postgresql":
        execute(connection, [POSTGRES_DROP[1], POSTGRES_SCHEMA[1]])
    elif connection.vendor == "sqlite":
        triggers = [name for name in SQLITE_TRIGGERS if name.startswith("case_event_fts")]
        drops = [f"DROP TRIGGER IF EXISTS {name}" for name in triggers]
        execute(connection, [*drops, *(SQLITE_TRIGGERS[name] for name in triggers), *SQLITE_REBUILD[1:]])


def ensure_search_schema(connection):
    """Repair the SQLite search tables after a migration rebuilt cases_case or cases_caseevent.

    Django alters SQLite tables by copying them into a new table, which silently drops their
    triggers; the FTS index would then go stale without any error. Run after every migrate.
    Returns True when something had to be repaired.
    """
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        if not {"cases_case", "cases_caseevent"} <= tables:
            return False  # migrations have not reached the case tables yet
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {row[0] for row in cursor.fetchall()}
    if set(SQLITE_TABLES) <= present and set(SQLITE_TRIGGERS) <= present:
        return False
    if not set(SQLITE_TABLES) & present:
        return False  # not installed at all: migration 0002_search has not run (or was reversed)
    install_search_schema(connection)
    return True
