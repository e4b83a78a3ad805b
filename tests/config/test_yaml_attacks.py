"""Hostile YAML, in every file lakebox reads: alias bombs, self-holding aliases, deep nesting,
oversized files and keys given twice are config errors naming the file and line, found before
anything is built from the document."""

from __future__ import annotations

import resource
import subprocess
import sys

import pytest

from lakebox import config
from lakebox.demo.live import read_marker
from lakebox.errors import ConfigError, DashboardError, ModelError
from lakebox.exploitation.model import header_checks
from lakebox.exploitation.strategy import declared_incremental
from lakebox.governance.declared import model_yaml
from lakebox.serving.dashboards.loading import parse as parse_dashboard


def list_bomb(levels: int) -> str:
    """Return a "billion laughs" under an unknown key: each list holds the one before 9 times."""
    text = "name: shop\njunk:\n  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for n in range(1, levels):
        text += f"  l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]\n"
    return text


def merge_bomb(levels: int) -> str:
    """Return a bomb of merge keys: PyYAML copies what `<<` merges, 9 times per level."""
    text = "name: shop\njunk:\n  m0: &m0 {k0: lol, k1: lol, k2: lol, k3: lol}\n"
    for n in range(1, levels):
        text += f"  m{n}: &m{n} {{<<: [{', '.join([f'*m{n - 1}'] * 9)}]}}\n"
    return text


def refused(text: str) -> str:
    with pytest.raises(ConfigError) as error:
        config.parse(text, "lakebox.yaml")
    return str(error.value)


def test_a_billion_laughs_is_refused_on_the_line_of_the_alias_that_passes_the_bound():
    said = refused(list_bomb(9))
    assert said.startswith(
        "lakebox.yaml:8: junk.l5: aliases expand this to more than 100,000 values"
    )


def test_a_merge_key_bomb_is_refused_before_pyyaml_copies_it():
    # 4 * 9^5 = 236,196 keys merged: refused, although each merge copies only shared nodes
    said = refused(merge_bomb(6))
    assert said.startswith("lakebox.yaml:8: junk.m5.<<: aliases expand this to more than")


def test_the_501_byte_bomb_of_the_issue_ends_at_once_within_a_memory_limit(tmp_path):
    # 4 * 9^8 keys merged: unbounded, this ran for minutes and gigabytes
    (tmp_path / "lakebox.yaml").write_text(merge_bomb(9))
    assert len(merge_bomb(9)) < 600
    script = "from pathlib import Path; from lakebox import config; config.load(Path('.'))"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_at_most(512 * 1024**2),
    )
    assert result.returncode == 1
    assert "lakebox.yaml:8: junk.m5.<<: aliases expand this" in result.stderr
    assert "MemoryError" not in result.stderr


def _at_most(address_space: int):
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    return limit


def test_the_bound_counts_what_aliases_share_once(monkeypatch):
    from lakebox.config import yaml_loader
    from lakebox.config.yaml_loader import read_yaml

    monkeypatch.setattr(yaml_loader, "MAX_YAML_NODES", 1_000)
    text = "a: &a [" + ", ".join(["x"] * 100) + "]\nb: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    with pytest.raises(ConfigError) as error:
        read_yaml(text, "f.yaml")
    assert str(error.value).startswith("f.yaml:2: b: aliases expand this to more than 1,000")
    shared = read_yaml(text.replace("*a, " * 9, ""), "f.yaml").data
    assert shared["b"][0] is shared["a"]  # under the bound: read as safe_load reads it


def test_a_long_document_is_refused_while_it_is_composed(monkeypatch):
    from lakebox.config import yaml_loader
    from lakebox.config.yaml_loader import read_yaml

    monkeypatch.setattr(yaml_loader, "MAX_YAML_NODES", 1_000)
    with pytest.raises(ConfigError) as error:
        read_yaml("a: 1\nb: [" + ", ".join(["1"] * 2_000) + "]\n", "f.yaml")
    assert str(error.value).startswith("f.yaml:2: the document holds more than 1,000 values")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: shop\nsources: &s\n  sales: *s\n",
            "lakebox.yaml:3: the alias *s refers back to a mapping or list that holds it",
        ),
        (
            "name: shop\njunk: &j [1, [2, *j]]\n",
            "lakebox.yaml:2: the alias *j refers back to a mapping or list that holds it",
        ),
        (
            "name: shop\njunk: " + "[" * 100_000 + "]" * 100_000 + "\n",
            "lakebox.yaml:2: nested too deeply (lakebox reads at most 64 levels)",
        ),
        (
            "name: shop\njunk:\n" + "".join(f"{'  ' * n}k{n}:\n" for n in range(1, 200)),
            "lakebox.yaml:65: nested too deeply (lakebox reads at most 64 levels)",
        ),
    ],
)
def test_aliases_holding_themselves_and_deep_nesting_are_refused(text, expected):
    assert refused(text).startswith(expected)


def test_an_oversized_project_file_is_refused_before_it_is_read(tmp_path):
    (tmp_path / "lakebox.yaml").write_text("name: shop\n" + "# padding\n" * 300_000)
    with pytest.raises(ConfigError) as error:
        config.load(tmp_path)
    assert "3,000,011 bytes is too long for a YAML file lakebox reads" in str(error.value)
    assert "at most 2,097,152" in str(error.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: shop\nbase: &b {path: a/*.csv}\n"
            "sources:\n  s:\n    <<: *b\n    <<: {path: /etc}\n",
            "lakebox.yaml:6: sources.s: '<<' is given twice (first on line 5)",
        ),
        (
            "name: shop\nchecks:\n  1: []\n  0x1: []\n",
            "lakebox.yaml:4: checks: '0x1' is given twice (first on line 3)",
        ),
        (
            "name: shop\nchecks:\n  yes: []\n  true: []\n",
            "lakebox.yaml:4: checks: 'true' is given twice (first on line 3)",
        ),
    ],
)
def test_keys_that_load_as_one_are_given_twice(text, expected):
    assert refused(text).startswith(expected)


def test_a_project_file_that_is_not_utf8_names_the_line(tmp_path):
    (tmp_path / "lakebox.yaml").write_bytes(b'name: shop\nsources:\n  a: {path: "\xff"}\n')
    with pytest.raises(ConfigError) as error:
        config.load(tmp_path)
    assert str(error.value).startswith(
        f"{tmp_path / 'lakebox.yaml'}:3: not valid UTF-8 (byte 0xff)"
    )


def test_a_dashboard_with_a_key_given_twice_names_both_lines():
    text = "title: Sales\ncharts:\n  - title: t\n    sql: SELECT 1\n    sql: SELECT 2\n"
    with pytest.raises(DashboardError) as error:
        parse_dashboard(text, "dashboards/sales.yaml")
    assert error.value.message.startswith(
        "dashboards/sales.yaml:5: charts[0]: 'sql' is given twice (first on line 4)"
    )


def test_a_dashboard_bomb_is_refused():
    text = list_bomb(9).replace("name: shop\njunk:", "title: t\nx:")
    with pytest.raises(DashboardError) as error:
        parse_dashboard(text, "dashboards/sales.yaml")
    assert "aliases expand this to more than 100,000 values" in error.value.message


def test_a_model_header_check_given_twice_names_the_lines_of_the_sql_file(tmp_path):
    sql = (
        "-- checks:\n--   - unique: [a]\n--     severity: warn\n--     severity: block\nSELECT 1\n"
    )
    path = tmp_path / "m.sql"
    with pytest.raises(ModelError) as error:
        header_checks(path, sql)
    assert "m.sql:4: [0]: 'severity' is given twice (first on line 3)" in error.value.message


def test_a_model_yaml_with_incremental_given_twice_is_refused(tmp_path):
    (tmp_path / "m.yaml").write_text(
        "incremental: {by: time_range, time: day}\nincremental: {by: unique_key, key: id}\n"
    )
    with pytest.raises(ModelError) as error:
        declared_incremental(tmp_path / "m.sql", "SELECT 1\n")
    assert "'incremental' is given twice (first on line 1)" in error.value.message


def test_a_model_yaml_bomb_is_refused(tmp_path):
    (tmp_path / "m.yaml").write_text(merge_bomb(6).replace("name: shop\n", ""))
    with pytest.raises(ModelError) as error:
        model_yaml(tmp_path / "m.yaml")
    assert "aliases expand this" in error.value.message


def test_the_demo_marker_is_read_with_the_same_bounds(tmp_path):
    (tmp_path / ".lakebox-demo").write_text("seed: 3\nseed: 4\n")
    with pytest.raises(ConfigError, match="'seed' is given twice"):
        read_marker(tmp_path)


def test_a_plain_document_reads_as_safe_load_reads_it():
    from lakebox.config.yaml_loader import read_yaml

    text = "a: 1\nb: [x, 2.5, true, null, 2024-01-02]\nc: &c {d: e}\nf: {<<: *c, g: h}\n"
    data = read_yaml(text, "f.yaml").data
    assert data["f"] == {"d": "e", "g": "h"}
    assert str(data["b"][4]) == "2024-01-02" and data["b"][:4] == ["x", 2.5, True, None]
    assert read_yaml("", "f.yaml").data is None
