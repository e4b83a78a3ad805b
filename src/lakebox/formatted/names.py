"""Person names in one canonical form ("Ana María García-López"), computed in SQL.

A name written "LAST, First" or "LAST First" (family name in capitals, given names not) is
turned round; every word written all in capitals or all in lower case is re-cased: a capital
first letter and after a hyphen, a full stop, an initial's apostrophe (O'Brien) or "Mc"
(McDonald); particles (van, de, del, von, …) stay lower case and roman numerals (III) upper
case after the first word. A word already in mixed case (DeShawn, van Gogh) is kept.
"""

from __future__ import annotations

from lakebox.ground.sql import quote_literal

# fmt: off
PARTICLES = ("van", "von", "der", "den", "ter", "ten", "de", "del", "della", "di", "da", "das",
             "dos", "du", "la", "le", "y", "bin", "ibn", "zu")
# fmt: on
SUFFIXES = ("jr", "jr.", "sr", "sr.", "ii", "iii", "iv")
_WORD = r"[\p{L}'’.-]"
_CAPITALS = r"\p{Lu}[\p{Lu}'’.-]+"
# "GARCÍA LÓPEZ Ana María": words in capitals, then words that have a lower-case letter
_LOWER_CASED = rf"{_WORD}*\p{{Ll}}{_WORD}*"
_SHOUTED_FAMILY_FIRST = (
    rf"^({_CAPITALS}(?: \p{{Lu}}[\p{{Lu}}'’.-]*)*) ({_LOWER_CASED}(?: {_LOWER_CASED})*)$"
)
_NOT_A_NAME = r"[0-9@#$%&*=+<>/\\|_~^{}\[\]]"


def canonical_sql(value: str) -> str:
    """Return SQL giving the name in `value` (a column reference) as "First Last"."""
    return _recased_sql(_given_first_sql(_spaced_sql(value)))


def not_a_name_sql(value: str) -> str:
    """Return SQL true when `value` clearly is not a person's name (digits, @, no letter)."""
    return (
        f"(regexp_matches({value}, {quote_literal(_NOT_A_NAME)}) "
        rf"OR NOT regexp_matches({value}, '\p{{L}}'))"
    )


def _spaced_sql(value: str) -> str:
    """One space between words, and ", " after a comma."""
    single = rf"trim(regexp_replace({value}, '\s+', ' ', 'g'))"
    return f"regexp_replace({single}, ' ?, ?', ', ', 'g')"


def _given_first_sql(name: str) -> str:
    """Turn "Last, First" (unless after the comma is a suffix: "King, Jr.") and "LAST First"
    round."""
    suffixes = ", ".join(quote_literal(suffix) for suffix in SUFFIXES)
    comma = r"'^([^,]+), ([^,]+)$'"
    return (
        f"CASE WHEN regexp_matches({name}, {comma}) AND lower(split_part({name}, ', ', 2)) "
        f"NOT IN ({suffixes}) THEN regexp_replace({name}, {comma}, '\\2 \\1') "
        f"WHEN regexp_matches({name}, {quote_literal(_SHOUTED_FAMILY_FIRST)}) THEN "
        f"regexp_replace({name}, {quote_literal(_SHOUTED_FAMILY_FIRST)}, '\\2 \\1') "
        f"ELSE {name} END"
    )


def _recased_sql(name: str) -> str:
    """Re-case each word written all in capitals or all in lower case."""
    particles = ", ".join(quote_literal(particle) for particle in PARTICLES)
    word = (
        "CASE WHEN word <> upper(word) AND word <> lower(word) THEN word "
        f"WHEN position > 1 AND lower(word) IN ({particles}) THEN lower(word) "
        "WHEN position > 1 AND regexp_matches(word, '^(?i)(ii|iii|iv)$') THEN upper(word) "
        f"ELSE {_title_sql('word')} END"
    )
    words = f"string_split({name}, ' ')"
    return f"array_to_string(list_transform({words}, lambda word, position: {word}), ' ')"


def _title_sql(word: str) -> str:
    """A capital first letter, and after a hyphen, a full stop, O' or Mc."""
    lowered = f"lower({word})"
    capital = (
        f"place = 1 OR substr({lowered}, place - 1, 1) IN ('-', '.') "
        f"OR (place = 3 AND substr({lowered}, 2, 1) IN ('''', '’')) "
        f"OR (place = 3 AND starts_with({lowered}, 'mc') AND length({word}) > 3)"
    )
    letters = f"string_split({lowered}, '')"
    plain = " AND ".join(
        [f"NOT starts_with({lowered}, 'mc')"]
        + [f"NOT contains({word}, {quote_literal(mark)})" for mark in "-.'’"]
    )
    # a plain word (most are) skips the letter-by-letter pass
    return (
        f"CASE WHEN {plain} THEN upper(left({word}, 1)) || substr({lowered}, 2) ELSE "
        f"array_to_string(list_transform({letters}, lambda letter, place: "
        f"CASE WHEN {capital} THEN upper(letter) ELSE letter END), '') END"
    )
