"""The semantic normalisation rules, each run through the real formatter on a fixture file:
tests/formatted/fixtures/normalisation/<case>.csv (pipe-delimited) with the source's settings
in <case>.yaml, and the formatted values and quarantine reasons expected, by file line, in
<case>.expected.csv."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml

from lakebox import config
from lakebox.config import ColumnConfig
from lakebox.errors import ConfigError
from lakebox.orchestration.runner import ingest
from tests.formatted.test_rules import shown

FIXTURES = Path(__file__).parent / "fixtures" / "normalisation"
CASES = sorted(path.stem for path in FIXTURES.glob("*.yaml"))


def expected_rows(case: str) -> list[dict[str, str]]:
    path = FIXTURES / f"{case}.expected.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="|"))


def formatted_rows(make_project, tmp_path: Path, case: str, columns: list[str]) -> list[dict]:
    """Ingest the case's file with its settings; return one row per line: the formatted
    `columns`, or the quarantine reason."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(FIXTURES / f"{case}.csv", folder / "data.csv")
    settings = yaml.safe_load((FIXTURES / f"{case}.yaml").read_text(encoding="utf-8"))
    source = {"path": str(folder), "format": "csv", "delimiter": "|", **settings}
    lh = make_project({"data": source})
    report = ingest(lh)
    assert [result.error for result in report.formatting] == [None]
    listed = ", ".join(f'"{name}"' for name in columns)
    kept = lh.query(f"SELECT _source_line, {listed} FROM formatted.data").to_pylist()
    refused = lh.query("SELECT _source_line, _reason FROM quarantine.data").to_pylist()
    rows = [
        {"line": str(row["_source_line"]), **{name: shown(row[name]) for name in columns}}
        | {"reason": ""}
        for row in kept
    ]
    rows += [
        {"line": str(row["_source_line"]), **dict.fromkeys(columns, ""), "reason": row["_reason"]}
        for row in refused
    ]
    return sorted(rows, key=lambda row: int(row["line"]))


@pytest.mark.parametrize("case", CASES)
def test_fixture_file_is_formatted_as_expected(make_project, tmp_path, case):
    expected = expected_rows(case)
    columns = [name for name in expected[0] if name not in ("line", "reason")]
    assert formatted_rows(make_project, tmp_path, case, columns) == expected


def test_every_normalisation_rule_has_a_fixture():
    assert {
        "convert_units_by_date",
        "convert_units_by_magnitude",
        "prices_to_net_or_gross",
        "names_to_canonical_form",
        "timestamps_to_utc",
    } <= set(CASES)


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("{type: DOUBLE, unit: kg, unit_since: {2024-07-01: t}}", "need 'date_column'"),
        (
            "{type: DOUBLE, unit: kg, unit_since: {'2024-13-01': t}, date_column: d}",
            "'2024-13-01' is not a date",
        ),
        ("{type: DOUBLE, unit: kg, unit_since: {2024-07-01: l}, date_column: d}", "not a mass"),
        ("{type: DOUBLE, unit_above: {100000: ms}}", "'unit_above' needs 'unit'"),
        ("{type: DOUBLE, unit: s, unit_above: {0: ms}}", "thresholds must be positive"),
        ("{type: DOUBLE, unit: s, unit_from: u, unit_above: {9: ms}}", "use one of 'unit_from'"),
        ("{type: DOUBLE, unit: s, unit_from: u, source_unit: ms}", "'source_unit' is only used"),
        ("{type: DOUBLE, tax: {rate: 21, included: true}}", "write 21% as 0.21"),
        ("{type: DOUBLE, tax: {rate: 0.21}}", "missing required key 'included'"),
        (
            "{type: DOUBLE, date_column: d, tax: {rate: 0.2, included: [{from: 2025-03-01, "
            "until: 2025-01-01}]}}",
            "ends before it starts",
        ),
        (
            "{type: DOUBLE, date_column: d, tax: {rate: 0.2, included: [{from: 2025-01-01}, "
            "{from: 2025-03-01}]}}",
            "tax periods overlap",
        ),
        ("{tax: {rate: 0.21, included: true}}", "need a number type"),
        ("{unit: s, unit_above: {9: ms}}", "need a number type"),
        ("{type: DOUBLE, date_column: d}", "'date_column' is only used"),
        ("{type: DATE, name_format: first_last}", "'name_format' needs a VARCHAR column"),
        ("{name_format: last_first}", "first_last"),
    ],
)
def test_normalisation_settings_are_checked_when_the_file_loads(column, expected):
    text = f"sources:\n  s:\n    path: x\n    columns:\n      q: {column}\n"
    with pytest.raises(ConfigError, match=r"lakebox.yaml:5: sources\.s\.columns\.q") as error:
        config.parse(text, "lakebox.yaml")
    assert expected in str(error.value)


def test_yaml_dates_and_quoted_dates_are_the_same():
    unquoted = ColumnConfig.model_validate(
        yaml.safe_load("{type: DOUBLE, unit: kg, unit_since: {2024-07-01: t}, date_column: d}")
    )
    quoted = ColumnConfig(type="DOUBLE", unit="kg", unit_since={"2024-07-01": "t"}, date_column="d")
    assert unquoted == quoted
