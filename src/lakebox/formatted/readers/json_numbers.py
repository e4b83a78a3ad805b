"""JSON numbers a DOUBLE cannot hold as written: beyond its range (1e309 would read inf),
too small to keep (1e-400 would read 0.0), or not JSON at all (NaN, Infinity, which DuckDB's
parser accepts). A record holding one is refused with a reason naming the field, never
changed silently.
"""

from __future__ import annotations

from lakebox.ground.sql import quote_literal

_STRING = r'"(?:[^"\\]|\\.)*"'
_NUMBER = r"-?[0-9][0-9.eE+-]*|(?i:-?(?:nan|infinity|inf))"
# A key and its number, a string (skipped whole, so nothing inside one is read), or a number
# in a list: groups 1 (key) and 2 (its number), or group 3 (a number in a list).
_TOKENS = rf'"((?:[^"\\]|\\.)*)"\s*:\s*({_NUMBER})|{_STRING}|({_NUMBER})'
# Cheap first look: only a text with an exponent, a very long number, or a NaN or infinity
# literal is read token by token.
_MAYBE = r"[0-9][eE]|[0-9]{300}|(?i:[:,\[]\s*-?(?:nan|inf))"
_SHOWN = 40  # characters of a number shown in a reason


def checked_sql(texts_sql: str) -> str:
    """Return `texts_sql` (a SELECT with a JSON text column `_text`) with column `_number`:
    why the text's first unusable number is refused, NULL when it has none."""
    tokens = ", ".join(
        f"regexp_extract_all(_text, {quote_literal(_TOKENS)}, {group})" for group in (1, 2, 3)
    )
    first = f"list_filter(list_zip({tokens}), z -> {_unusable('coalesce(z[2], z[3])')})[1]"
    found = f"CASE WHEN regexp_matches(_text, {quote_literal(_MAYBE)}) THEN {first} END"
    return (
        f"SELECT * EXCLUDE (_bad), {_reason('_bad', 'coalesce(_bad[2], _bad[3])')} AS _number "
        f"FROM (SELECT *, {found} AS _bad FROM ({texts_sql}))"
    )


def _unusable(number: str) -> str:
    """Return SQL true when the number text `number` is NaN or an infinity, or a DOUBLE
    reads it as an infinity or as zero although it is not zero."""
    as_double = f"TRY_CAST({number} AS DOUBLE)"
    return (
        f"({number} IS NOT NULL AND (regexp_matches({number}, '^-?[a-zA-Z]') "
        f"OR isinf({as_double}) OR ({as_double} = 0 AND "
        f"regexp_matches(regexp_replace({number}, '[eE].*$', ''), '[1-9]'))))"
    )


def _reason(token: str, number: str) -> str:
    """Return SQL giving the reason for the bad `token` (a struct: key, keyed number, number
    in a list) whose number text is `number`."""
    where = (
        f"CASE WHEN {token}[1] IS NOT NULL THEN 'field ' || chr(39) || left({token}[1], 100) "
        f"|| chr(39) ELSE 'a number in a list' END"
    )
    shown = (
        f"left({number}, {_SHOWN}) || CASE WHEN length({number}) > {_SHOWN} "
        f"THEN '… (' || length({number}) || ' characters)' ELSE '' END"
    )
    why = (
        f"CASE WHEN regexp_matches({number}, '^-?[a-zA-Z]') THEN ' is not a JSON number' "
        f"WHEN isinf(TRY_CAST({number} AS DOUBLE)) THEN ' is out of range for a number "
        f"(beyond ±1.8e308)' ELSE ' is too small to keep: it would read 0' END"
    )
    return f"{where} || ': ' || {shown} || {why}"
