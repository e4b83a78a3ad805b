"""The project file: validated, with errors naming the file and line; secrets from the env."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from lakebox import config
from lakebox.config.environment import expand_env
from lakebox.errors import ConfigError

GOOD = """\
name: shop
sources:
  sales:
    path: exports/*.csv
    key: id, day
"""


def test_a_valid_file_parses():
    parsed = config.parse(GOOD)
    assert parsed.sources["sales"].key == ["id", "day"]
    assert parsed.catalog.uri == "sqlite:///.lakebox/catalog.db"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: shop\nsources:\n  sales:\n    kind: files\n",
            "lakebox.yaml:3: sources.sales: a 'files' source needs 'path'",
        ),
        (
            "name: shop\nsources:\n  sales:\n    path: x\n    formta: csv\n",
            "lakebox.yaml:5: sources.sales.formta: unknown key 'formta'",
        ),
        ("name: shop\nengine:\n  threads: many\n", "lakebox.yaml:3: engine.threads"),
        ("name: shop\nsources:\n  Bad-Name:\n    path: x\n", "lakebox.yaml:2: sources"),
        ("name: [unclosed\n", "lakebox.yaml:2: not valid YAML"),
    ],
)
def test_errors_name_the_file_and_line(text, expected):
    with pytest.raises(ConfigError) as error:
        config.parse(text, "lakebox.yaml")
    assert str(error.value).startswith(expected)


def test_environment_variables_are_expanded(monkeypatch):
    monkeypatch.setenv("LAKEBOX_TEST_SECRET", "s3cret")
    text = "catalog:\n  uri: postgresql://u:${LAKEBOX_TEST_SECRET}@h/db\n"
    assert config.parse(text).catalog.uri == "postgresql://u:s3cret@h/db"
    assert config.parse("name: ${LAKEBOX_TEST_UNSET:-fallback}\n").name == "fallback"


def test_a_missing_environment_variable_is_an_error(monkeypatch):
    monkeypatch.delenv("LAKEBOX_TEST_UNSET", raising=False)
    with pytest.raises(ConfigError, match="LAKEBOX_TEST_UNSET is not set"):
        config.parse("name: ${LAKEBOX_TEST_UNSET}\n")


def test_a_missing_project_file_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match="run 'lakebox init'"):
        config.load(tmp_path)


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("{type: DUBLE}", "unknown column type 'DUBLE'"),
        ("{type: DOUBLE, unit: furlong, unit_from: u}", "unknown unit 'furlong'"),
        ("{type: DOUBLE, unit: kg}", "'unit' needs 'unit_from'"),
    ],
)
def test_column_declarations_are_checked_when_the_file_loads(column, expected):
    text = f"sources:\n  s:\n    path: x\n    columns:\n      q: {column}\n"
    with pytest.raises(ConfigError, match=r"lakebox.yaml:5: sources\.s\.columns\.q"):
        config.parse(text, "lakebox.yaml")
    with pytest.raises(ConfigError, match=expected):
        config.parse(text, "lakebox.yaml")


def test_an_empty_variable_takes_the_default(monkeypatch):
    monkeypatch.setenv("LAKEBOX_TEST_EMPTY", "")
    assert config.parse("name: ${LAKEBOX_TEST_EMPTY:-fallback}\n").name == "fallback"


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        ("2GB", "2GB"),
        ("2 gb", "2 gb"),
        ("512MiB", "512MiB"),
        ("1.5 GiB", "1.5 GiB"),
        ("2 gigabytes", "2 gigabytes"),
        ("1TB", "1TB"),
    ],
)
def test_a_memory_limit_duckdb_reads_is_kept(limit, expected):
    assert config.parse(f"engine:\n  memory_limit: {limit}\n").engine.memory_limit == expected


def test_a_memory_limit_in_percent_becomes_mebibytes_of_this_machine():
    limit = config.parse("engine:\n  memory_limit: 50%\n").engine.memory_limit
    whole = config.memory_bytes("100%")
    assert limit.endswith("MiB") and abs(int(limit[:-3]) * 1024**2 - whole / 2) < 1024**2


@pytest.mark.parametrize(
    ("engine", "expected"),
    [
        ("memory_limit: 2 gigs", "engine.memory_limit: '2 gigs' is not a size; use e.g. 2GB"),
        ("memory_limit: 2", "engine.memory_limit: 2 is not a size"),
        ("memory_limit: 1KB", "engine.memory_limit: '1KB' is too little for DuckDB"),
        ("memory_limit: 150%", "engine.memory_limit: '150%' is not a percentage"),
        ("memory_limit: -1GB", "engine.memory_limit: '-1GB' is not a size"),
        ("threads: 0", "engine.threads: Input should be greater than or equal to 1"),
        ("threads: true", "engine.threads: True is not a number of threads"),
        ("temp_directory: ''", "engine.temp_directory: '' is not a folder"),
    ],
)
def test_engine_settings_duckdb_would_refuse_are_config_errors(engine, expected):
    with pytest.raises(ConfigError) as error:
        config.parse(f"name: shop\nengine:\n  {engine}\n", "lakebox.yaml")
    assert str(error.value).startswith(f"lakebox.yaml:3: {expected}")


def test_the_cli_names_the_line_of_a_bad_memory_limit(tmp_path):
    (tmp_path / "lakebox.yaml").write_text("name: shop\nengine:\n  memory_limit: 2 gigs\n")
    result = subprocess.run(
        [sys.executable, "-m", "lakebox.cli", "tables", "--project", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "lakebox.yaml:3: engine.memory_limit: '2 gigs' is not a size" in result.stderr
    assert "Traceback" not in result.stderr and "ParserException" not in result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD + "sources:\n  other:\n    path: other/*.csv\n",
            "lakebox.yaml:6: 'sources' is given twice (first on line 2); merge them",
        ),
        (
            "name: shop\nengine:\n  threads: 2\nengine:\n  threads: many\n",
            "lakebox.yaml:4: 'engine' is given twice (first on line 2); merge them",
        ),
        (
            "name: shop\nsources:\n  sales:\n    path: a/*.csv\n    key: id\n    path: b/*.csv\n",
            "lakebox.yaml:6: sources.sales: 'path' is given twice (first on line 4); merge them",
        ),
        (
            "name: shop\nsources: {sales: {path: a, path: b}}\n",
            "lakebox.yaml:2: sources.sales: 'path' is given twice (first on line 2)",
        ),
    ],
)
def test_a_key_given_twice_names_both_lines(text, expected):
    with pytest.raises(ConfigError) as error:
        config.parse(text, "lakebox.yaml")
    assert str(error.value).startswith(expected)


def test_a_merge_key_and_an_alias_are_not_repeats():
    text = (
        "name: shop\nbase: &base\n  path: a/*.csv\n"
        "sources:\n  sales:\n    <<: *base\n    key: id\n  other: *base\n"
    )
    with pytest.raises(ConfigError) as error:  # `base` is unknown, but nothing is repeated
        config.parse(text, "lakebox.yaml")
    assert str(error.value).startswith("lakebox.yaml:2: base: unknown key 'base'")


def test_what_yaml_aliases_share_is_expanded_once():
    # nested aliases ("billion laughs") share their lists; copying them while expanding
    # ${VAR} made an 8-level file cost 17 s and 1.3 GB before its error was reported
    levels = ["x0: &a0 [lol, lol, lol]"]
    levels += [f"x{n}: &a{n} [*a{n - 1}, *a{n - 1}, *a{n - 1}]" for n in range(1, 30)]
    expanded = expand_env(yaml.safe_load("\n".join(levels)))
    assert expanded["x29"][0] is expanded["x29"][1] is expanded["x28"]
    with pytest.raises(ConfigError) as error:  # refused before it is validated (or expanded)
        config.parse("name: shop\n" + "\n".join(levels), "lakebox.yaml")
    assert str(error.value).startswith(
        "lakebox.yaml:12: x10: aliases expand this to more than 100,000 values"
    )
