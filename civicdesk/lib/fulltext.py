"""Full-text helpers that know no model: words, the document template, and each backend's query syntax.

Both backends must give the same answers, so both see the same words: text is split into runs of
letters and digits (punctuation, `@`, `-`, `<b>` all separate words), lower-cased, accents kept.
PostgreSQL gets that by indexing `regexp_replace(text, '[^[:alnum:]]+', ' ')` with the `simple`
configuration (no stemming, no stop words); SQLite by FTS5's `unicode61` tokenizer (FTS5_TOKENIZE).
Words of PREFIX_MIN_LENGTH letters or more match as prefixes ("pothol" finds "pothole"), shorter
ones must match whole. What is indexed, and how a match narrows a queryset, is the caller's business
(civicdesk.cases.search for cases).
"""

import re

from django.db.models import BooleanField, F, Func, Value

PREFIX_MIN_LENGTH = 3
_WORD = re.compile(r"[^\W_]+")

# One template for every PostgreSQL document: queries must stay character-for-character the same as
# the index expressions built from it, or PostgreSQL will not use the indexes.
PG_DOCUMENT = "to_tsvector('simple'::regconfig, regexp_replace({text}, '[^[:alnum:]]+', ' ', 'g'))"
PG_MATCH = "@@ to_tsquery('simple'::regconfig, %s)"
FTS5_TOKENIZE = 'tokenize = "unicode61 remove_diacritics 0"'


def words(text, limit):
    """The first `limit` distinct words of `text` as the indexes see them (lower-case letters and digits)."""
    return list(dict.fromkeys(_WORD.findall((text or "").lower())))[:limit]


def is_prefix(word):
    return len(word) >= PREFIX_MIN_LENGTH


def pg_query(word):
    """A `to_tsquery` argument for one word. Words hold only letters and digits: nothing to escape."""
    return f"'{word}':*" if is_prefix(word) else f"'{word}'"


def fts5_query(word):
    """An FTS5 MATCH argument for one word (a quoted string, so FTS5 operators stay plain words)."""
    return f'"{word}"*' if is_prefix(word) else f'"{word}"'


def estimated_rows(cursor, sql, params):
    """PostgreSQL's estimate of the rows `sql` returns (its statistics, no execution)."""
    cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
    return cursor.fetchone()[0][0]["Plan"]["Plan Rows"]


def table_rows(cursor, table):
    """PostgreSQL's estimate of a table's rows; -1 until the table is first analyzed."""
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
    return cursor.fetchone()[0]


class Matches(Func):
    """`fields` (joined by spaces) hold `query` on one row: the same document as PG_DOCUMENT indexes.

    PostgreSQL only; `query` is a `pg_query()`.
    """

    output_field = BooleanField()

    def __init__(self, query, *fields):
        super().__init__(*(F(field) for field in fields), Value(query))

    def as_sql(self, compiler, connection, **extra_context):
        *columns, (query, query_params) = (compiler.compile(e) for e in self.source_expressions)
        document = " || ' ' || ".join(sql for sql, _params in columns)
        sql = f"{PG_DOCUMENT.format(text=document)} @@ to_tsquery('simple'::regconfig, {query})"
        return sql, [*(p for _sql, params in columns for p in params), *query_params]


def execute(connection, statements):
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
