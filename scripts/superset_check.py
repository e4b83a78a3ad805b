"""Check that Apache Superset 6.1 charts lakebox through its stock PostgreSQL driver.

Run by `make superset-check`, from the repository root, with lakebox's interpreter:

    .venv/bin/python scripts/superset_check.py                 # against `lakebox pg`
    .venv/bin/python scripts/superset_check.py \\
        --target-url postgresql+psycopg2://postgres@127.0.0.1:5432/superset_probe \\
        --table public.traffic_store_daily                      # against a real PostgreSQL

Superset runs from its own virtualenv (.superset-venv, made by the Makefile); this script
drives its binaries by path and talks to it through its REST API only, as a user's browser
would. Everything it writes goes to .superset-check/: the demo project (built once), the
Superset metadata database (initialised once, then copied fresh for every run), the config
and the logs of both servers (`superset.log`, `lakebox-pg.log`). Both servers listen on
127.0.0.1 on free ports and are stopped by PID when the check ends.

The chart data must equal the same aggregates computed without the wire: by
`lakebox.open(project).query(sql)` for the lakebox endpoint, by a direct psycopg connection
for an external target. The exit
code is 0 only when every step worked.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".superset-check"
SUPERSET_BIN = ROOT / ".superset-venv" / "bin"
SUPERSET_LOG = WORK / "superset.log"
DATABASE_ERROR = re.compile(r"\(?(psycopg2\.errors|sqlalchemy\.exc)\..*")
LAKEBOX = Path(sys.executable).parent / "lakebox"
ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin"  # a throwaway admin of a server bound to 127.0.0.1
DATABASE_NAME = "lakebox"
SERVER_START_TIMEOUT = 120.0
LOG_TAIL_LINES = 25
ERROR_BODY_CHARS = 3000

# `lakebox pg` as its console script runs it, with the endpoint's own loggers at DEBUG
# (each statement as run, after rewriting) for finding what a failing client sent.
PG_LAUNCHER = """
import logging, sys
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
logging.getLogger("lakebox.serving.pgwire").setLevel(logging.DEBUG)
sys.argv[0] = "lakebox"
from lakebox.cli import main
main()
"""

T = TypeVar("T")
Row = tuple[str, Decimal]
# Runs each SQL statement on the source of truth and gives back its rows.
Reference = Callable[[list[str]], dict[str, list[tuple[Any, ...]]]]
# A chart's params and the query context its page saves with it.
Chart = tuple[dict[str, Any], dict[str, Any]]


# --- Progress and summary -------------------------------------------------------------------------


class StepFailed(Exception):
    """A check step did not give what it should; the message says what it got instead."""


@dataclass
class StepResult:
    name: str
    status: str  # "ok", "failed" or "skipped"
    seconds: float
    detail: str = ""


@dataclass
class Checklist:
    """Runs the steps in order, prints a line per step and keeps the results for the summary."""

    results: list[StepResult] = field(default_factory=list)

    def step(self, name: str, action: Callable[[], T]) -> T | None:
        """Return what `action` gives back, or None when it raised (the step is then failed)."""
        print(f"→ {name} …", flush=True)
        started = time.monotonic()
        try:
            value = action()
        except Exception as error:  # a failed step must not stop the summary or the cleanup
            detail = (
                str(error) if isinstance(error, StepFailed) else f"{type(error).__name__}: {error}"
            )
            self._record(name, "failed", started, detail)
            return None
        self._record(name, "ok", started, _describe(value))
        return value

    def skip(self, name: str, reason: str) -> None:
        print(f"- {name}: skipped ({reason})", flush=True)
        self.results.append(StepResult(name, "skipped", 0.0, reason))

    def passed(self) -> bool:
        return bool(self.results) and all(result.status == "ok" for result in self.results)

    def print_summary(self) -> None:
        print("\nsummary")
        marks = {"ok": "✓", "failed": "✗", "skipped": "-"}
        width = max(len(result.name) for result in self.results)
        for result in self.results:
            detail = result.detail.splitlines()[0][:160] if result.detail else ""
            line = (
                f"{marks[result.status]} {result.name:<{width}} {result.seconds:6.1f} s  {detail}"
            )
            print("  " + line.rstrip())
        failed = sum(result.status == "failed" for result in self.results)
        skipped = sum(result.status == "skipped" for result in self.results)
        verdict = "PASSED" if self.passed() else f"FAILED ({failed} failed, {skipped} skipped)"
        print(f"superset-check: {verdict}")

    def _record(self, name: str, status: str, started: float, detail: str) -> None:
        seconds = time.monotonic() - started
        self.results.append(StepResult(name, status, seconds, detail))
        mark = "✓" if status == "ok" else "✗"
        print(f"  {mark} {name} ({seconds:.1f} s){': ' + detail if detail else ''}", flush=True)


def _describe(value: object) -> str:
    """Return a one-line description of a step's result for its progress line."""
    if value is None or isinstance(value, Server | SupersetApi):
        return ""
    if isinstance(value, int):
        return f"id {value}"
    if isinstance(value, dict):
        return f"{len(value)} results: " + ", ".join(f"{len(rows)} rows" for rows in value.values())
    if isinstance(value, list) and len(value) > 6:
        return f"{len(value)} items: {value[:6]} …"
    return str(value)[:200]


# --- Processes ------------------------------------------------------------------------------------


@dataclass
class Server:
    """A child process serving on 127.0.0.1:port, with its log file."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def stop(self) -> None:
        """Stop the process group started for this server, by its PID."""
        if self.process.poll() is not None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        print(f"stopped {self.name} (pid {self.process.pid})", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(
    name: str, command: list[str], port: int, cwd: Path, env: dict[str, str]
) -> Server:
    """Return a started server once its port accepts connections (its log is in WORK)."""
    log = WORK / f"{name}.log"
    with log.open("ab") as out:
        out.write(f"\n=== {datetime.now(UTC).isoformat()} {' '.join(command)}\n".encode())
        out.flush()
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(name, process, port, log)
    try:
        wait_for_port(server)
    except BaseException:
        server.stop()
        raise
    return server


def wait_for_port(server: Server) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise StepFailed(
                f"{server.name} exited with {server.process.returncode}:\n{tail(server.log)}"
            )
        with suppress(OSError), socket.create_connection(("127.0.0.1", server.port), timeout=1):
            return
        time.sleep(0.2)
    raise StepFailed(
        f"{server.name} did not listen on {server.port} within {SERVER_START_TIMEOUT:.0f} s"
    )


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def log_size(log: Path) -> int:
    return log.stat().st_size if log.exists() else 0


def database_error(log: Path, since: int) -> str | None:
    """Return the first database error Superset logged after byte `since` of its log, if any.

    Superset answers a failing database with a 500 page or a vague 422 ("table could not be
    found"); the driver's own message, which names what the server refused, is in its log.
    """
    with log.open("rb") as text:
        text.seek(since)
        lines = text.read().decode(errors="replace").splitlines()
    found = (DATABASE_ERROR.search(line) for line in lines)
    return next((match.group(0) for match in found if match), None)


def run_logged(command: list[str], log_name: str, env: dict[str, str] | None = None) -> None:
    """Run a command to completion, its output appended to WORK/<log_name>; raise on failure."""
    log = WORK / log_name
    with log.open("ab") as out:
        out.write(f"\n=== {' '.join(command)}\n".encode())
        out.flush()
        completed = subprocess.run(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, check=False
        )
    if completed.returncode != 0:
        raise StepFailed(
            f"{command[0]} {command[1]} exited with {completed.returncode}:\n{tail(log)}"
        )


# --- The data under test and the reference numbers ------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What Superset connects to, and how to compute the expected numbers without Superset."""

    url: str
    table: str
    reference: Reference

    @property
    def schema(self) -> str:
        return self.table.split(".", 1)[0]

    @property
    def table_name(self) -> str:
        return self.table.split(".", 1)[1]


@dataclass(frozen=True)
class Columns:
    """The dataset's columns the charts use: a dimension, a summed measure and a date."""

    dimension: str
    measure: str
    time: str


def ensure_demo_project(demo: Path) -> str:
    """Return how the demo project came to be: reused, or built with `lakebox demo`."""
    if (demo / "lakebox.yaml").exists():
        return f"reused {demo.relative_to(ROOT)}"
    shutil.rmtree(demo, ignore_errors=True)
    run_logged([str(LAKEBOX), "demo", "--no-serve", "--quiet", str(demo)], "lakebox-demo.log")
    return f"built {demo.relative_to(ROOT)}"


def lakebox_reference(demo: Path) -> Reference:
    """Return a function running SQL with `lakebox.open(demo).query` (in-process, no wire)."""

    def query(statements: list[str]) -> dict[str, list[tuple[Any, ...]]]:
        import lakebox

        with lakebox.open(demo) as lakehouse:
            tables = {sql: lakehouse.query(sql).to_pylist() for sql in statements}
        return {sql: [tuple(row.values()) for row in rows] for sql, rows in tables.items()}

    return query


def postgres_reference(url: str) -> Reference:
    """Return a function running SQL over a direct psycopg connection to the target."""

    def query(statements: list[str]) -> dict[str, list[tuple[Any, ...]]]:
        import psycopg

        conninfo = url.replace("postgresql+psycopg2://", "postgresql://", 1)
        with psycopg.connect(conninfo) as connection:
            return {sql: list(connection.execute(sql).fetchall()) for sql in statements}

    return query


def reference_numbers(target: Target, columns: Columns) -> dict[str, list[Row]]:
    """Return the expected rows of both aggregates, keyed by their SQL."""
    statements = [by_dimension_sql(target, columns), by_month_sql(target, columns)]
    results = {sql: normalise(rows) for sql, rows in target.reference(statements).items()}
    if not all(results.values()):
        raise StepFailed(f"an aggregate over {target.table} is empty: {results}")
    return results


def by_dimension_sql(target: Target, columns: Columns) -> str:
    return (
        f"SELECT {columns.dimension}, SUM({columns.measure}) FROM {target.table} "
        f"GROUP BY {columns.dimension} ORDER BY {columns.dimension}"
    )


def by_month_sql(target: Target, columns: Columns) -> str:
    return (
        f"SELECT DATE_TRUNC('month', {columns.time}), SUM({columns.measure}) "
        f"FROM {target.table} GROUP BY 1 ORDER BY 1"
    )


def normalise(rows: list[tuple[Any, ...]]) -> list[Row]:
    """Return rows as sorted (label, exact number) pairs, whatever types they came in.

    Both sides of a comparison go through here, so a label's form only has to be consistent.
    """
    return sorted((_label(label), Decimal(str(value))) for label, value in rows)


def _label(value: object) -> str:
    """Return a dimension or date value as text; Superset sends temporal values as epoch ms."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC).date().isoformat()
    if isinstance(value, datetime):
        return value.date().isoformat()
    text = str(value)
    return text[:10] if len(text) >= 10 and text[4:5] == "-" and text[7:8] == "-" else text


def expect_same(what: str, got: list[Row], expected: list[Row]) -> str:
    if got != expected:
        raise StepFailed(f"{what} differ:\n  superset: {got}\n  expected: {expected}")
    return f"{len(got)} rows equal to the reference, e.g. {got[0][0]} = {got[0][1]}"


# --- Superset: config, metadata database, server -------------------------------------------------


def superset_env() -> dict[str, str]:
    env = dict(os.environ)
    env["SUPERSET_CONFIG_PATH"] = str(WORK / "superset_config.py")
    env["FLASK_APP"] = "superset"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def write_superset_config() -> str:
    """Write WORK/superset_config.py (the secret key is made once and kept in WORK)."""
    key_file = WORK / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(42))
    config = f"""\
# Written by scripts/superset_check.py on every run; edit the script, not this file.
SECRET_KEY = {key_file.read_text().strip()!r}
SQLALCHEMY_DATABASE_URI = {"sqlite:///" + str(WORK / "superset.db")!r}
WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = None
TALISMAN_ENABLED = False
SQLLAB_TIMEOUT = 120
SUPERSET_WEBSERVER_TIMEOUT = 120
"""
    (WORK / "superset_config.py").write_text(config)
    return str((WORK / "superset_config.py").relative_to(ROOT))


def ensure_superset_metadata() -> str:
    """Copy a fresh metadata database from the one initialised once (upgrade, admin, init)."""
    initialised = WORK / "superset-initialised.db"
    if not initialised.exists():
        _initialise_superset_metadata(initialised)
        made = "initialised"
    else:
        made = "reused"
    shutil.copyfile(initialised, WORK / "superset.db")
    return f"{made} {initialised.relative_to(ROOT)}, fresh copy in superset.db"


def _initialise_superset_metadata(initialised: Path) -> None:
    (WORK / "superset.db").unlink(missing_ok=True)
    superset = str(SUPERSET_BIN / "superset")
    env = superset_env()
    run_logged([superset, "db", "upgrade"], "superset-init.log", env)
    admin = ["--username", ADMIN_USER, "--password", ADMIN_PASSWORD, "--email", "admin@localhost"]
    names = ["--firstname", "Superset", "--lastname", "Check"]
    run_logged([superset, "fab", "create-admin", *admin, *names], "superset-init.log", env)
    run_logged([superset, "init"], "superset-init.log", env)
    shutil.copyfile(WORK / "superset.db", initialised)


def start_superset() -> Server:
    port = free_port()
    command = [str(SUPERSET_BIN / "superset"), "run", "-h", "127.0.0.1", "-p", str(port)]
    server = start_server("superset", [*command, "--with-threads"], port, WORK, superset_env())
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        with suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).text.strip() == "OK":
                return server
        time.sleep(0.5)
    server.stop()
    raise StepFailed(f"/health did not answer OK within {SERVER_START_TIMEOUT:.0f} s")


def start_lakebox_pg(demo: Path) -> Server:
    """Start `lakebox pg` on the demo project, its pg-wire loggers at DEBUG in lakebox-pg.log."""
    port = free_port()
    options = ["--project", str(demo), "--host", "127.0.0.1", "--port", str(port)]
    command = [sys.executable, "-c", PG_LAUNCHER, "pg", *options]
    return start_server("lakebox-pg", command, port, demo, dict(os.environ))


# --- Superset's REST API --------------------------------------------------------------------------


class SupersetApi:
    """A logged-in API client: a JWT for every call, the CSRF token and its session cookie."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.client = httpx.Client(base_url=self.base, timeout=180)

    def login(self) -> SupersetApi:
        body = {"username": ADMIN_USER, "password": ADMIN_PASSWORD, "provider": "db"}
        token = self.post("/api/v1/security/login", body)["access_token"]
        self.client.headers["Authorization"] = f"Bearer {token}"
        csrf = self.get("/api/v1/security/csrf_token/")["result"]
        self.client.headers["X-CSRFToken"] = csrf
        self.client.headers["Referer"] = self.base
        return self

    def get(self, path: str, **params: str) -> dict[str, Any]:
        since = log_size(SUPERSET_LOG)
        return self._checked(self.client.get(path, params=params), since)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        since = log_size(SUPERSET_LOG)
        return self._checked(self.client.post(path, json=body), since)

    def close(self) -> None:
        self.client.close()

    @staticmethod
    def _checked(response: httpx.Response, log_since: int) -> dict[str, Any]:
        if response.status_code < 400:
            payload: dict[str, Any] = response.json()
            return payload
        request = f"{response.request.method} {response.url.path} → {response.status_code}"
        cause = database_error(SUPERSET_LOG, log_since)
        if response.headers.get("content-type", "").startswith("text/html"):
            body = "an HTML error page"
        else:
            body = response.text[:ERROR_BODY_CHARS]
        raise StepFailed(
            f"{request}: {cause or body}" + (f"\n  superset said: {body}" if cause else "")
        )


# --- The checks, one function per step ------------------------------------------------------------


def test_connection(api: SupersetApi, target: Target) -> str:
    body = {"database_name": DATABASE_NAME, "sqlalchemy_uri": target.url, "impersonate_user": False}
    return str(api.post("/api/v1/database/test_connection/", body).get("message", "OK"))


def register_database(api: SupersetApi, target: Target) -> int:
    body = {
        "database_name": DATABASE_NAME,
        "sqlalchemy_uri": target.url,
        "expose_in_sqllab": True,
        "allow_run_async": False,
    }
    return int(api.post("/api/v1/database/", body)["id"])


def list_schemas(api: SupersetApi, database_id: int, target: Target) -> list[str]:
    schemas = [
        str(name)
        for name in api.get(f"/api/v1/database/{database_id}/schemas/", q="(force:!t)")["result"]
    ]
    if target.schema not in schemas:
        raise StepFailed(f"schema {target.schema!r} not among {schemas}")
    return schemas


def list_tables(api: SupersetApi, database_id: int, target: Target) -> list[str]:
    query = f"(force:!t,schema_name:'{target.schema}')"
    result = api.get(f"/api/v1/database/{database_id}/tables/", q=query)["result"]
    tables = [str(entry["value"]) for entry in result]
    if target.table_name not in tables:
        raise StepFailed(f"table {target.table_name!r} not among {tables}")
    return tables


def table_metadata(api: SupersetApi, database_id: int, target: Target) -> list[str]:
    """Return the column names SQL Lab's schema browser shows for the table."""
    params = {"name": target.table_name, "schema": target.schema}
    payload = api.get(f"/api/v1/database/{database_id}/table_metadata/", **params)
    return [f"{column['name']} {column['type']}" for column in payload["columns"]]


def sql_lab_query(api: SupersetApi, database_id: int, run: Run) -> str:
    sql = by_dimension_sql(run.target, run.columns)
    body = {
        "database_id": database_id,
        "sql": sql,
        "schema": run.target.schema,
        "runAsync": False,
        "select_as_cta": False,
        "queryLimit": 1000,
        "client_id": uuid.uuid4().hex[:10],
        "tab": "superset-check",
        "expand_data": True,
    }
    payload = api.post("/api/v1/sqllab/execute/", body)
    got = [tuple(row.values()) for row in payload["data"]]
    return expect_same("SQL Lab rows", normalise(got), run.expected[sql])


def create_dataset(api: SupersetApi, database_id: int, target: Target, columns: Columns) -> int:
    body = {"database": database_id, "schema": target.schema, "table_name": target.table_name}
    dataset_id = int(api.post("/api/v1/dataset/", body)["id"])
    found = {
        column["column_name"]: column
        for column in api.get(f"/api/v1/dataset/{dataset_id}")["result"]["columns"]
    }
    missing = {columns.dimension, columns.measure, columns.time} - set(found)
    if missing:
        raise StepFailed(
            f"dataset {dataset_id} lacks columns {sorted(missing)}; it has {sorted(found)}"
        )
    if not found[columns.time]["is_dttm"]:
        raise StepFailed(f"{columns.time} is not temporal in the dataset: {found[columns.time]}")
    return dataset_id


def sum_metric(columns: Columns) -> dict[str, Any]:
    label = f"SUM({columns.measure})"
    column = {"column_name": columns.measure}
    return {"expressionType": "SIMPLE", "column": column, "aggregate": "SUM", "label": label}


def table_chart(dataset_id: int, columns: Columns) -> Chart:
    """Return the params and query context of a table chart: the measure summed per dimension."""
    metric = sum_metric(columns)
    params = {"viz_type": "table", "query_mode": "aggregate", "groupby": [columns.dimension]}
    query = {"columns": [columns.dimension], "orderby": [[columns.dimension, True]]}
    return _chart(dataset_id, metric, params, query)


def timeseries_chart(dataset_id: int, columns: Columns) -> Chart:
    """Return the params and query context of a line chart: the measure summed per month."""
    metric = sum_metric(columns)
    params = {"viz_type": "echarts_timeseries_line", "x_axis": columns.time, "groupby": []}
    axis = {"timeGrain": "P1M", "columnType": "BASE_AXIS", "sqlExpression": columns.time}
    query = {
        "columns": [{**axis, "label": columns.time, "expressionType": "SQL"}],
        "orderby": [[metric, False]],
        "filters": [{"col": columns.time, "op": "TEMPORAL_RANGE", "val": "No filter"}],
        "extras": {"having": "", "where": "", "time_grain_sqla": "P1M"},
    }
    return _chart(dataset_id, metric, {**params, "time_grain_sqla": "P1M"}, query)


def _chart(
    dataset_id: int, metric: dict[str, Any], params: dict[str, Any], query: dict[str, Any]
) -> Chart:
    """Return a chart's params and the query context its page would save with it."""
    common = {"metrics": [metric], "row_limit": 1000, "time_range": "No filter"}
    params = {"datasource": f"{dataset_id}__table", **common, "adhoc_filters": [], **params}
    query = {**common, "filters": [], "extras": {"having": "", "where": ""}, **query}
    context = {
        "datasource": {"id": dataset_id, "type": "table"},
        "force": True,
        "queries": [query],
        "form_data": params,
        "result_format": "json",
        "result_type": "full",
    }
    return params, context


def create_chart(api: SupersetApi, dataset_id: int, name: str, chart: Chart) -> int:
    params, query_context = chart
    body = {
        "slice_name": name,
        "viz_type": params["viz_type"],
        "datasource_id": dataset_id,
        "datasource_type": "table",
        "params": json.dumps(params),
        "query_context": json.dumps(query_context),
    }
    return int(api.post("/api/v1/chart/", body)["id"])


def render_chart(api: SupersetApi, chart_id: int, expected: list[Row]) -> str:
    """Fetch the saved chart's data, as its page does, and compare it with the reference."""
    path = f"/api/v1/chart/{chart_id}/data/"
    result = api.get(path, format="json", type="full", force="true")["result"][0]
    if result.get("error"):
        raise StepFailed(f"chart {chart_id}: {result['error']}")
    got = normalise([tuple(row.values()) for row in result["data"]])
    return expect_same(f"chart {chart_id} rows", got, expected)


# --- The run --------------------------------------------------------------------------------------


@dataclass
class Run:
    checklist: Checklist
    target: Target
    columns: Columns
    expected: dict[str, list[Row]] = field(default_factory=dict)
    servers: list[Server] = field(default_factory=list)

    @contextmanager
    def serving(self) -> Iterator[None]:
        try:
            yield
        finally:
            for server in reversed(self.servers):
                server.stop()

    def started(self, server: Server | None) -> Server | None:
        if server is not None:
            self.servers.append(server)
        return server


def run_api_checks(run: Run, api: SupersetApi) -> None:
    step, target, columns = run.checklist.step, run.target, run.columns
    step("test the connection (database/test_connection)", lambda: test_connection(api, target))
    database_id = step("register the database", lambda: register_database(api, target))
    names = [
        "list schemas",
        "list tables",
        "table metadata (SQL Lab schema browser)",
        "SQL Lab query (runAsync false)",
        "create dataset",
        "table chart: create and render",
        "line chart (P1M): create and render",
    ]
    if database_id is None:
        for name in names:
            run.checklist.skip(name, "no database")
        return
    step(names[0], lambda: list_schemas(api, database_id, target))
    step(names[1], lambda: list_tables(api, database_id, target))
    step(names[2], lambda: table_metadata(api, database_id, target))
    step(names[3], lambda: sql_lab_query(api, database_id, run))
    dataset_id = step(names[4], lambda: create_dataset(api, database_id, target, columns))
    if dataset_id is None:
        for name in names[5:]:
            run.checklist.skip(name, "no dataset")
        return
    run_chart_checks(run, api, dataset_id, names[5:])


def run_chart_checks(run: Run, api: SupersetApi, dataset_id: int, names: list[str]) -> None:
    target, columns = run.target, run.columns
    charts = [
        (table_chart(dataset_id, columns), run.expected[by_dimension_sql(target, columns)]),
        (timeseries_chart(dataset_id, columns), run.expected[by_month_sql(target, columns)]),
    ]
    for name, (chart, expected) in zip(names, charts, strict=True):

        def create_and_render(chart: Chart = chart, expected: list[Row] = expected) -> str:
            chart_id = create_chart(
                api, dataset_id, f"superset-check {chart[0]['viz_type']}", chart
            )
            return f"chart {chart_id}: " + render_chart(api, chart_id, expected)

        run.checklist.step(name, create_and_render)


def run_check(arguments: argparse.Namespace) -> Checklist:
    checklist = Checklist()
    demo = WORK / "demo"
    columns = Columns(arguments.dimension, arguments.measure, arguments.time)
    if arguments.target_url:
        target = Target(
            arguments.target_url, arguments.table, postgres_reference(arguments.target_url)
        )
    else:
        target = Target("", arguments.table, lakebox_reference(demo))
    run = Run(checklist, target, columns)
    with run.serving():
        if not _start_servers(run, arguments, demo):
            return checklist
        api = checklist.step(
            "log in (JWT + CSRF token)", lambda: SupersetApi(run.servers[-1].port).login()
        )
        if api is None:
            return checklist
        try:
            run_api_checks(run, api)
        finally:
            api.close()
    return checklist


def _start_servers(run: Run, arguments: argparse.Namespace, demo: Path) -> bool:
    """Start `lakebox pg` (unless the target is external) and Superset; False if one failed."""
    step = run.checklist.step
    if not arguments.target_url and step("demo project", lambda: ensure_demo_project(demo)) is None:
        return False
    expected = step(
        "reference numbers (without the wire)", lambda: reference_numbers(run.target, run.columns)
    )
    if expected is None:
        return False
    run.expected = expected
    if not arguments.target_url:
        pg = run.started(step("start lakebox pg", lambda: start_lakebox_pg(demo)))
        if pg is None:
            return False
        url = f"postgresql+psycopg2://lakebox@127.0.0.1:{pg.port}/lakebox"
        run.target = Target(url, run.target.table, run.target.reference)
        print(f"  lakebox pg on 127.0.0.1:{pg.port} (log: {pg.log.relative_to(ROOT)})")
    step("superset config", write_superset_config)
    if step("superset metadata (db upgrade, create-admin, init)", ensure_superset_metadata) is None:
        return False
    superset = run.started(step("start superset", start_superset))
    if superset is not None:
        log = superset.log.relative_to(ROOT)
        print(f"  superset on http://127.0.0.1:{superset.port} (log: {log})")
    return superset is not None


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--target-url",
        help="chart this SQLAlchemy URL instead of `lakebox pg` on the demo project "
        "(e.g. postgresql+psycopg2://postgres@127.0.0.1:5432/superset_probe)",
    )
    parser.add_argument(
        "--table", default="exploitation.traffic_store_daily", help="schema.table to chart"
    )
    parser.add_argument("--dimension", default="store_id", help="the table chart's group-by column")
    parser.add_argument("--measure", default="visitors", help="the column both charts sum")
    parser.add_argument("--time", default="local_date", help="the line chart's date column")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    if not (SUPERSET_BIN / "superset").exists():
        print(f"{SUPERSET_BIN / 'superset'} is missing: run `make superset-check`", file=sys.stderr)
        return 2
    WORK.mkdir(exist_ok=True)
    started = time.monotonic()
    checklist = run_check(arguments)
    checklist.print_summary()
    print(f"total {time.monotonic() - started:.0f} s; logs in {WORK.relative_to(ROOT)}/")
    return 0 if checklist.passed() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
