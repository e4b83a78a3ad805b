"""The CLI starts fast: registering the commands imports none of the heavy libraries, which
load inside the command that needs them; and `lakebox --version` answers."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.cli.conftest import lakebox

# Each costs a tenth of a second or more to import; a command imports only what it uses.
HEAVY = (
    "duckdb",
    "pyiceberg",
    "pyarrow",
    "pandas",
    "numpy",
    "sqlalchemy",
    "sqlglot",
    "statsforecast",
    "sklearn",
    "fastapi",
    "uvicorn",
    "plotly",
    "splink",
    "jinja2",
    "httpx",
)


def _imported_by(statement: str) -> list[str]:
    probe = (
        f"import sys\n{statement}\n"
        "import json\n"
        "loaded = {name.split('.')[0] for name in sys.modules}\n"
        f"print(json.dumps(sorted(loaded & {set(HEAVY)!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout)


def test_registering_the_commands_imports_no_heavy_library() -> None:
    assert _imported_by("import lakebox.cli.app") == []


def test_the_typer_app_still_has_every_command() -> None:
    probe = (
        "import typer\nfrom lakebox.cli.app import app\n"
        "print(sorted(typer.main.get_command(app).commands))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    for command in ("forecast", "models", "pg", "query", "run", "sandbox", "serve"):
        assert f"'{command}'" in done.stdout


def test_import_lakebox_loads_the_lakehouse_on_first_use() -> None:
    assert _imported_by("import lakebox") == []
    assert "duckdb" in _imported_by("import lakebox\nlakebox.Lakehouse")


def test_version_prints_the_package_version(tmp_path) -> None:
    from importlib.metadata import version

    shown = lakebox("--version", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == f"lakebox {version('lakebox')}\n"
