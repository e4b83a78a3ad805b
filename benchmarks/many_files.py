"""Many-files benchmark: thousands of small CSV files through `lakebox run` against DuckDB's
one-glob `read_csv` → Parquet of the same files, then one new file into the loaded table.

Run from the repository root (see benchmarks/README.md):

    .venv/bin/python benchmarks/many_files.py                 # A: 10,000 x 100; B: 1,000 x 10,000
    .venv/bin/python benchmarks/many_files.py --scenarios a   # scenario A alone
    .venv/bin/python benchmarks/many_files.py --files 200 --big-files 20   # smoke run
    .venv/bin/python benchmarks/many_files.py --repeat 3      # the median of 3 runs

Per scenario, deterministic CSV files are generated into benchmarks/out/many_files/ (kept
between runs; regenerated when missing or when the scale or the generator changes). Each
contender then runs in its own child process, so its peak RSS is its own (`os.wait4` gives the
child's `ru_maxrss`):

  lakebox: a fresh project whose `lakebox.yaml` has one `files` source, `events`, over a folder
      holding the files (hard links to the cached ones; format csv, no key, `settle: 0s`) and
      `engine.memory_limit` set; then `lakebox run --json` (`python -m lakebox.cli`), timed
      whole, as a user's shell starts it;
  duckdb (the anchor): COPY (FROM read_csv('<folder>/*.csv')) TO '...parquet' on a fresh
      connection, DuckDB's defaults.

Then one new 100-row file goes into the loaded project's folder and `lakebox run` is timed
again; a child process reads the formatted table back (row count, data and metadata files,
each run's steps from `ops.step_runs`). The script exits 1 when a table does not hold every row.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

OUT = Path(__file__).resolve().parent / "out"
INPUTS = OUT / "many_files"
GENERATOR_VERSION = 1
LAKEBOX_MEMORY_LIMIT = "500MB"
NEW_FILE_ROWS = 100
THROUGHPUT_TARGET = 0.5  # lakebox's throughput / DuckDB's
NEW_FILE_TARGET = 1.5  # seconds, process start-up excluded
TARGET_FILE_SIZE = 128 * 1024 * 1024  # maintenance.target_file_size's default
STARTUP_RUNS = 3
MB = 1024 * 1024
SOURCE = "events"


@dataclass(frozen=True)
class Scenario:
    """One shape of input: `files` CSV files of `rows` rows each."""

    key: str
    files: int
    rows: int

    @property
    def name(self) -> str:
        return f"{self.key.upper()}: {self.files:,} files x {self.rows:,} rows"

    @property
    def total_rows(self) -> int:
        return self.files * self.rows

    @property
    def folder(self) -> Path:
        return INPUTS / f"{self.key}-{self.files}x{self.rows}"


# --------------------------------------------------------------------------------------------
# The input files
# --------------------------------------------------------------------------------------------


def rows_sql() -> str:
    """Return the COPY of the rows of benchmarks/ingest.py's events.csv, records start..stop-1
    (record i, from 0, has id i + 1): the same generator, its range cut."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from ingest import GENERATOR_SQL

    cut = GENERATOR_SQL.replace("range({rows})", "range({start}, {stop})")
    assert cut != GENERATOR_SQL, "benchmarks/ingest.py's generator no longer reads range({rows})"
    return cut


def file_name(number: int) -> str:
    """Return the name of the `number`th file (from 1): names sort in row order."""
    return f"events-{number:06d}.csv"


def write_rows(target: Path, start: int, stop: int) -> None:
    """Write records start..stop-1 (ids start+1..stop) as one CSV with its header."""
    import duckdb

    quoted = "'" + str(target).replace("'", "''") + "'"
    with duckdb.connect() as connection:
        connection.execute(rows_sql().format(start=int(start), stop=int(stop), target=quoted))


def ensure_inputs(scenario: Scenario) -> Path:
    """Return the scenario's folder of CSV files, generating it only when the cached one differs."""
    folder, stamp = scenario.folder, scenario.folder / "stamp.json"
    wanted = {"files": scenario.files, "rows": scenario.rows, "generator": GENERATOR_VERSION}
    if stamp.exists():
        cached = json.loads(stamp.read_text())
        if {key: cached.get(key) for key in wanted} == wanted and cached.get("bytes") == (
            _csv_bytes(folder)
        ):
            print(f"input {scenario.name}: {folder} (cached, {cached['bytes'] / MB:,.1f} MB)")
            return folder
    started = time.monotonic()
    shutil.rmtree(folder, ignore_errors=True)
    building = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    _split_into_files(scenario, building)
    building.rename(folder)
    size = _csv_bytes(folder)
    stamp.write_text(json.dumps({**wanted, "bytes": size}))
    print(
        f"input {scenario.name}: {folder} (generated, {size / MB:,.1f} MB "
        f"in {time.monotonic() - started:.1f} s)"
    )
    return folder


def _split_into_files(scenario: Scenario, folder: Path) -> None:
    """Write every row once into one CSV, then cut it into files of `rows` rows, each with
    the header (streamed: memory stays at one line)."""
    whole = folder / "whole.csv.part"
    write_rows(whole, 0, scenario.total_rows)
    with whole.open("rb") as source:
        header = source.readline()
        for number in range(1, scenario.files + 1):
            with (folder / file_name(number)).open("wb") as target:
                target.write(header)
                for _ in range(scenario.rows):
                    target.write(source.readline())
        if source.readline():
            raise SystemExit(f"{whole}: more records than {scenario.total_rows:,}")
    whole.unlink()


def _csv_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.glob("*.csv"))


# --------------------------------------------------------------------------------------------
# Children: DuckDB's COPY, and the read-back of lakebox's project
# --------------------------------------------------------------------------------------------


def child_duckdb(args: argparse.Namespace) -> dict[str, Any]:
    """COPY every CSV of the folder to one Parquet file with one glob; count what it wrote."""
    import duckdb

    target = Path(args.result).with_suffix(".parquet")
    target.unlink(missing_ok=True)
    glob = str(Path(args.folder) / "*.csv").replace("'", "''")
    started = time.perf_counter()
    connection = duckdb.connect()
    connection.execute(f"COPY (FROM read_csv('{glob}')) TO '{target}' (FORMAT parquet)")
    seconds = time.perf_counter() - started
    rows = connection.execute(f"SELECT count(*) FROM '{target}'").fetchone()[0]
    settings = connection.execute(
        "SELECT current_setting('memory_limit'), current_setting('threads')"
    ).fetchone()
    connection.close()
    facts = {
        "work_seconds": seconds,
        "rows": int(rows),
        "memory_limit": settings[0],
        "threads": settings[1],
        "parquet_mb": target.stat().st_size / MB,
    }
    target.unlink()
    return facts


def child_inspect(args: argparse.Namespace) -> dict[str, Any]:
    """Read back the lakebox project: each run's report and steps, the table's rows and files."""
    import lakebox
    from lakebox.catalog import TableRef
    from lakebox.orchestration import history

    runs = [_run_summary(Path(path)) for path in args.run_json]
    with lakebox.open(Path(args.project)) as lh:
        for run in runs:
            if run.get("run_id"):
                steps = history.run_steps(lh, run["run_id"])
                run["steps"] = {step["step"]: step["seconds"] for step in steps}
        table = lh.catalog.load(TableRef("formatted", SOURCE))
        if table is None:
            return {"runs": runs, "rows": 0, "table_error": f"no table formatted.{SOURCE}"}
        rows = lh.query(f"SELECT count(*) FROM formatted.{SOURCE}").column(0)[0].as_py()
        data_files = lh.catalog.data_files(table)
        metadata = _local(table.metadata_location).parent
        names = [path.name for path in metadata.iterdir() if path.is_file()]
        on_disk = _local(table.location()) / "data"
        return {
            "runs": runs,
            "rows": int(rows),
            "data_files": len(data_files),
            "data_bytes": sum(file.file_size_in_bytes for file in data_files),
            "data_files_on_disk": sum(1 for path in on_disk.rglob("*.parquet")),
            "snapshots": len(table.snapshots()),
            "snapshot_ms": sorted(snapshot.timestamp_ms for snapshot in table.snapshots()),
            "metadata_files": len(names),
            "metadata_json": sum(name.endswith(".metadata.json") for name in names),
            "manifest_lists": sum(name.startswith("snap-") for name in names),
            "manifests": sum(
                name.endswith(".avro") and not name.startswith("snap-") for name in names
            ),
        }


def _run_summary(path: Path) -> dict[str, Any]:
    """Return what one `lakebox run --json` report says, with the row accounting per object."""
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        return {"report_error": f"{path.name}: {error}"}
    counts = {"rows_read": 0, "rows_formatted": 0, "rows_quarantined": 0, "rows_duplicate": 0}
    statuses: dict[str, int] = {}
    unbalanced = 0
    for result in report.get("formatted", []):
        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
        got = result.get("counts") or {}
        for key in counts:
            counts[key] += got.get(key) or 0
        out = sum(got.get(key) or 0 for key in counts if key != "rows_read")
        unbalanced += (got.get("rows_read") or 0) != out
    return {
        "run_id": report.get("run_id"),
        "ok": report.get("ok"),
        "error": report.get("error"),
        "seconds": report.get("seconds"),
        "landed": len(report.get("landed", [])),
        "statuses": statuses,
        "unbalanced": unbalanced,
        **counts,
    }


def _local(uri: str) -> Path:
    parsed = urlparse(uri)
    return Path(unquote(parsed.path)) if parsed.scheme in ("file", "") else Path(uri)


CHILDREN = {"duckdb": child_duckdb, "inspect": child_inspect}


def child_main(args: argparse.Namespace) -> None:
    """Run one child's work and leave its facts in the result file."""
    try:
        facts = CHILDREN[args.only](args)
    except BaseException as error:
        Path(args.result).write_text(json.dumps({"error": f"{type(error).__name__}: {error}"}))
        raise
    Path(args.result).write_text(json.dumps(facts, default=str))


# --------------------------------------------------------------------------------------------
# The parent: processes timed, RSS from os.wait4
# --------------------------------------------------------------------------------------------


def timed_process(command: list[str], cwd: Path, stdout: Path, log: Path) -> dict[str, Any]:
    """Run `command`; return its exit, wall seconds, peak RSS and the CPU others used."""
    import psutil

    os.sync()  # the previous child's dirty pages are written now, not during this one
    cpu_before = psutil.cpu_times()
    started = time.perf_counter()
    with stdout.open("w") as out, log.open("w") as err:
        child = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    after = psutil.cpu_times()
    busy = (
        sum(after)
        - after.idle
        - after.iowait
        - (sum(cpu_before) - cpu_before.idle - cpu_before.iowait)
    )
    own = usage.ru_utime + usage.ru_stime
    exit_code = child.returncode = os.waitstatus_to_exitcode(status)
    facts: dict[str, Any] = {
        "exit": exit_code,
        "seconds": wall,
        "peak_rss_mb": usage.ru_maxrss / 1024,  # Linux reports kilobytes
        "other_cpu": max(0.0, busy - own) / (wall * (os.cpu_count() or 1)),
    }
    if exit_code != 0:
        facts["log_tail"] = log.read_text(errors="replace").splitlines()[-12:]
    return facts


def run_child(key: str, extra: list[str], tag: str) -> dict[str, Any]:
    """Run this script with `--only key` in a child process; return its facts and measures."""
    result = OUT / f"many-files-{tag}.json"
    result.unlink(missing_ok=True)
    command = [sys.executable, __file__, "--only", key, "--result", str(result), *extra]
    facts = timed_process(
        command, OUT, OUT / f"many-files-{tag}.out", OUT / f"many-files-{tag}.log"
    )
    if result.exists():
        facts.update(json.loads(result.read_text()))
    return facts


def lakebox_command(*arguments: str) -> list[str]:
    """Return the command line of `lakebox arguments` with this interpreter."""
    return [sys.executable, "-m", "lakebox.cli", *arguments]


def make_project(scenario: Scenario, folder: Path, memory_limit: str) -> Path:
    """Create a fresh project whose source `events` is a folder of links to the cached files."""
    project = OUT / f"many-files-{scenario.key}-project"
    shutil.rmtree(project, ignore_errors=True)
    inbox = project / "inbox"
    inbox.mkdir(parents=True)
    for path in sorted(folder.glob("*.csv")):
        try:
            os.link(path, inbox / path.name)
        except OSError:
            shutil.copy2(path, inbox / path.name)
    (project / "lakebox.yaml").write_text(
        f"name: many-files-{scenario.key}\n"
        f"engine:\n  memory_limit: {memory_limit}\n"
        f"sources:\n  {SOURCE}:\n    path: inbox\n    format: csv\n    settle: 0s\n",
        encoding="utf-8",
    )
    return project


def run_lakebox(scenario: Scenario, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Load the files with `lakebox run`, then one new file; read the project back."""
    project = make_project(scenario, folder, args.memory_limit)
    tag = f"{scenario.key}-lakebox"
    load_json, new_json = OUT / f"many-files-{tag}-load.json", OUT / f"many-files-{tag}-new.json"
    print(f"  lakebox run ({scenario.files:,} files) …", flush=True)
    load = timed_process(
        lakebox_command("run", "--json"), project, load_json, OUT / f"many-files-{tag}-load.log"
    )
    _say(load)
    new_file = project / "inbox" / file_name(scenario.files + 1)
    write_rows(new_file, scenario.total_rows, scenario.total_rows + NEW_FILE_ROWS)
    print("  lakebox run (one new file) …", flush=True)
    new = timed_process(
        lakebox_command("run", "--json"), project, new_json, OUT / f"many-files-{tag}-new.log"
    )
    _say(new)
    startup = _median_seconds(lakebox_command("source", "list"), project)
    opening = _median_seconds(lakebox_command("runs", "--limit", "1"), project)
    inspect = run_child(
        "inspect",
        ["--project", str(project), "--run-json", str(load_json), "--run-json", str(new_json)],
        f"{scenario.key}-inspect",
    )
    if not args.keep:
        shutil.rmtree(project, ignore_errors=True)
    runs = inspect.pop("runs", [{}, {}])
    return {
        **load,
        "run": runs[0],
        "new": {**new, "run": runs[1], "startup": startup, "opening": opening},
        "table": inspect,
    }


def _median_seconds(command: list[str], project: Path) -> float:
    """Return the median wall seconds of STARTUP_RUNS runs of `command` in `project`."""
    out, log = OUT / "many-files-startup.out", OUT / "many-files-startup.log"
    runs = [timed_process(command, project, out, log) for _ in range(STARTUP_RUNS)]
    return statistics.median(run["seconds"] for run in runs)


def run_duckdb(scenario: Scenario, folder: Path) -> dict[str, Any]:
    print(f"  duckdb COPY (read_csv of {scenario.files:,} files with one glob) …", flush=True)
    facts = run_child("duckdb", ["--folder", str(folder)], f"{scenario.key}-duckdb")
    _say(facts)
    return facts


def _say(facts: dict[str, Any]) -> None:
    status = "" if facts["exit"] == 0 else f", EXIT {facts['exit']}"
    print(
        f"    {facts['seconds']:.1f} s, peak RSS {facts['peak_rss_mb']:,.0f} MB, other "
        f"processes used {facts['other_cpu']:.0%} of the CPUs meanwhile{status}",
        flush=True,
    )


# --------------------------------------------------------------------------------------------
# Several runs → one: medians, highest RSS
# --------------------------------------------------------------------------------------------


def representative(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the last run with each timing replaced by the median over all runs (the
    spread of the wall time kept) and the highest peak RSS."""
    shown = dict(runs[-1])
    seconds = [run["seconds"] for run in runs]
    shown.update(
        seconds=statistics.median(seconds),
        spread=(min(seconds), max(seconds)),
        repeats=len(runs),
        peak_rss_mb=max(run["peak_rss_mb"] for run in runs),
        other_cpu=max(run["other_cpu"] for run in runs),
        all_rows=[run.get("rows", run.get("table", {}).get("rows")) for run in runs],
    )
    if "work_seconds" in shown:
        shown["work_seconds"] = _median([run.get("work_seconds") for run in runs])
    if "new" in shown:
        shown["run"] = _median_report([run["run"] for run in runs])
        new = [run["new"] for run in runs]
        shown["new"] = {
            **new[-1],
            "seconds": statistics.median(item["seconds"] for item in new),
            "startup": statistics.median(item["startup"] for item in new),
            "opening": statistics.median(item["opening"] for item in new),
            "peak_rss_mb": max(item["peak_rss_mb"] for item in new),
            "other_cpu": max(item["other_cpu"] for item in new),
            "run": _median_report([item["run"] for item in new]),
        }
    return shown


def _median_report(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the last run report's summary with its seconds and steps the median of all."""
    shown = dict(summaries[-1])
    shown["seconds"] = _median([item.get("seconds") for item in summaries])
    steps = shown.get("steps") or {}
    shown["steps"] = {
        step: _median([item.get("steps", {}).get(step) for item in summaries]) or 0.0
        for step in steps
    }
    return shown


def _median(values: list[float | None]) -> float | None:
    found = [value for value in values if value is not None]
    return statistics.median(found) if found else None


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


HEADER = (
    f"{'contender':<10}{'wall s':>9}{'(min–max)':>14}{'work s':>9}{'files/s':>10}"
    f"{'rows/s':>12}{'peak RSS MB':>13}{'rows out':>13}{'× duckdb':>10}"
)


def report(scenario: Scenario, lakebox: dict[str, Any] | None, duckdb: dict[str, Any]) -> list[str]:
    """Print the scenario's table and targets; return the problems that make the run fail."""
    print()
    print(f"== {scenario.name} = {scenario.total_rows:,} rows ==")
    print(HEADER)
    print(_row("duckdb", scenario, duckdb, duckdb))
    if lakebox is not None:
        print(_row("lakebox", scenario, lakebox, duckdb))
    print(
        "wall s: the child process's whole life as the parent sees it (start-up included), "
        f"median of {duckdb['repeats']} run(s); work s: lakebox's steps (--json `seconds`), "
        "DuckDB's connect + COPY; files/s and rows/s from wall s; × duckdb: throughput ratio."
    )
    if lakebox is None:
        print(f"settings: DuckDB defaults (memory_limit {duckdb.get('memory_limit', '?')}, "
              f"threads {duckdb.get('threads', '?')}); lakebox not run (--contenders)")  # fmt: skip
        if duckdb["exit"] != 0 or duckdb.get("rows") != scenario.total_rows:
            return [f"{scenario.key}: DuckDB wrote {duckdb.get('rows')} rows"]
        return []
    busiest = max(lakebox["other_cpu"], duckdb["other_cpu"], lakebox["new"]["other_cpu"])
    if busiest > 0.1:
        print(
            f"WARNING: other processes used up to {busiest:.0%} of the CPUs during a run; "
            "the timings are not clean (rerun on a quiet machine)."
        )
    print(
        f"settings: lakebox engine.memory_limit {lakebox['memory_limit']}, no key, settle 0s; "
        f"DuckDB defaults (memory_limit {duckdb.get('memory_limit', '?')}, "
        f"threads {duckdb.get('threads', '?')})"
    )
    problems = _print_load(scenario, lakebox, duckdb)
    problems += _print_new_file(scenario, lakebox["new"])
    problems += _print_table(scenario, lakebox["table"], lakebox["all_rows"])
    return problems


def report_lakebox_only(scenario: Scenario, lakebox: dict[str, Any]) -> list[str]:
    """Report lakebox's runs without the anchor (`--contenders lakebox`)."""
    missing = {"exit": 1, "seconds": float("nan"), "repeats": lakebox["repeats"], "other_cpu": 0}
    print()
    print(f"== {scenario.name} = {scenario.total_rows:,} rows (lakebox alone) ==")
    print(HEADER)
    print(_row("lakebox", scenario, lakebox, missing))
    print(f"settings: lakebox engine.memory_limit {lakebox['memory_limit']}, no key, settle 0s")
    problems = []
    if lakebox["exit"] != 0:
        problems.append(f"{scenario.key}: lakebox run exited {lakebox['exit']}")
        for line in lakebox.get("log_tail", []):
            print(f"    {line}")
    print(f"lakebox stages: {_stages(lakebox['run'], lakebox['seconds'])}")
    print(f"lakebox objects: {_accounting(lakebox['run'])}")
    problems += _print_new_file(scenario, lakebox["new"])
    return problems + _print_table(scenario, lakebox["table"], lakebox["all_rows"])


def _row(name: str, scenario: Scenario, facts: dict[str, Any], duckdb: dict[str, Any]) -> str:
    seconds = facts["seconds"]
    low, high = facts["spread"]
    spread = f"{low:.1f}–{high:.1f}" if facts["repeats"] > 1 else ""
    work = facts.get("work_seconds", facts.get("run", {}).get("seconds"))
    shown_work = f"{work:.1f}" if work is not None else "—"
    ok = facts["exit"] == 0
    files_per_s = f"{scenario.files / seconds:,.1f}" if ok else "—"
    rows_per_s = f"{scenario.total_rows / seconds:,.0f}" if ok else "—"
    ratio = f"{duckdb['seconds'] / seconds:.3f}" if ok and duckdb["exit"] == 0 else "—"
    failed = "" if ok else f"  FAILED (exit {facts['exit']})"
    return (
        f"{name:<10}{seconds:>9.1f}{spread:>14}{shown_work:>9}{files_per_s:>10}{rows_per_s:>12}"
        f"{facts['peak_rss_mb']:>13,.0f}{_rows_out(facts):>13,}{ratio:>10}{failed}"
    )


def _rows_out(facts: dict[str, Any]) -> int:
    """Return the rows a contender wrote: DuckDB's Parquet, lakebox's load run (its report)."""
    return int(facts.get("rows", facts.get("run", {}).get("rows_formatted")) or 0)


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def _print_load(scenario: Scenario, lakebox: dict[str, Any], duckdb: dict[str, Any]) -> list[str]:
    problems = []
    run = lakebox["run"]
    if duckdb["exit"] != 0 or duckdb.get("rows") != scenario.total_rows:
        problems.append(f"{scenario.key}: DuckDB wrote {duckdb.get('rows')} rows")
        for line in duckdb.get("log_tail", []):
            print(f"    {line}")
    elif lakebox["exit"] == 0:
        ratio = duckdb["seconds"] / lakebox["seconds"]
        print(
            f"lakebox throughput / DuckDB throughput = {ratio:.3f} "
            f"(target ≥ {THROUGHPUT_TARGET}: {_verdict(ratio >= THROUGHPUT_TARGET)})"
        )
        if run.get("seconds") and duckdb.get("work_seconds"):
            print(
                f"    without start-up (lakebox's steps against DuckDB's COPY): "
                f"{duckdb['work_seconds'] / run['seconds']:.3f}"
            )
    if lakebox["exit"] != 0:
        problems.append(f"{scenario.key}: lakebox run exited {lakebox['exit']}")
        print(f"lakebox run FAILED with exit {lakebox['exit']}: {run.get('error')}")
        for line in lakebox.get("log_tail", []):
            print(f"    {line}")
    print(f"lakebox stages: {_stages(run, lakebox['seconds'])}")
    print(f"lakebox objects: {_accounting(run)}")
    return problems


def _stages(run: dict[str, Any], wall: float) -> str:
    steps = run.get("steps") or {}
    if not steps:
        return "no steps recorded in ops.step_runs"
    shown = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in steps.items())
    rest = wall - sum(steps.values())
    return (
        f"{shown} (ops.step_runs); the other {rest:.2f} s of the command: interpreter start, "
        "imports, opening the project, recording the run"
    )


def _accounting(run: dict[str, Any]) -> str:
    if run.get("report_error") or "statuses" not in run:
        return f"no run report ({run.get('report_error', 'not read back')})"
    statuses = ", ".join(f"{count:,} {status}" for status, count in run["statuses"].items())
    balance = (
        "each object's rows read = formatted + quarantined + duplicate"
        if not run["unbalanced"]
        else f"{run['unbalanced']:,} object(s) whose rows do NOT add up"
    )
    return (
        f"{run['landed']:,} landed; {statuses or 'none formatted'}; rows read "
        f"{run['rows_read']:,}, formatted {run['rows_formatted']:,}, quarantined "
        f"{run['rows_quarantined']:,}, duplicate {run['rows_duplicate']:,}; {balance}"
    )


def _print_new_file(scenario: Scenario, new: dict[str, Any]) -> list[str]:
    run = new["run"]
    print()
    print(
        f"one new {NEW_FILE_ROWS}-row file into the loaded table "
        f"(object {scenario.files + 1:,}, ids {scenario.total_rows + 1:,} and up):"
    )
    status = "" if new["exit"] == 0 else f" FAILED (exit {new['exit']}: {run.get('error')})"
    print(
        f"    whole `lakebox run`: {new['seconds']:.2f} s, "
        f"peak RSS {new['peak_rss_mb']:,.0f} MB{status}"
    )
    print(
        f"    process start-up (`lakebox source list`, median of {STARTUP_RUNS}): "
        f"{new['startup']:.2f} s"
    )
    stripped = new["seconds"] - new["startup"]
    print(
        f"    whole − start-up: {stripped:.2f} s "
        f"(target ≤ {NEW_FILE_TARGET} s: {_verdict(stripped <= NEW_FILE_TARGET)})"
    )
    print(
        f"    start-up + opening the project (`lakebox runs --limit 1`, median of "
        f"{STARTUP_RUNS}): {new['opening']:.2f} s; whole − that: "
        f"{new['seconds'] - new['opening']:.2f} s (no target: information)"
    )
    if run.get("seconds") is not None:
        print(
            f"    lakebox's own steps (--json `seconds`): {run['seconds']:.2f} s "
            f"(target ≤ {NEW_FILE_TARGET} s: {_verdict(run['seconds'] <= NEW_FILE_TARGET)}); "
            f"{_stages(run, new['seconds'])}"
        )
    print(f"    objects: {_accounting(run)}")
    problems = []
    if new["exit"] != 0:
        problems.append(f"{scenario.key}: the new file's run exited {new['exit']}")
        for line in new.get("log_tail", []):
            print(f"    {line}")
    return problems


def _print_table(scenario: Scenario, table: dict[str, Any], all_rows: list[Any]) -> list[str]:
    expected = scenario.total_rows + NEW_FILE_ROWS
    objects = scenario.files + 1
    print()
    if table.get("error") or table.get("table_error"):
        print(
            f"formatted.{SOURCE}: cannot read it back: {table.get('error') or table['table_error']}"
        )
        return [f"{scenario.key}: formatted.{SOURCE} not read back"]
    rows_ok = all(rows == expected for rows in all_rows)
    print(
        f"formatted.{SOURCE} after {objects:,} objects: {table['rows']:,} rows, expected "
        f"{expected:,} ({scenario.files:,} x {scenario.rows:,} + {NEW_FILE_ROWS}): "
        f"{'ok' if rows_ok else 'WRONG ' + str(all_rows)}"
    )
    data_mb = table["data_bytes"] / MB
    print(
        f"    {table['data_files']:,} data files in the current snapshot ({data_mb:,.1f} MB, "
        f"{table['data_bytes'] / max(table['data_files'], 1) / 1024:,.0f} KB each on average; "
        f"{table['data_files_on_disk']:,} Parquet files under data/), {table['snapshots']:,} "
        f"snapshots"
    )
    print(
        f"    {table['metadata_files']:,} metadata files "
        f"({table['metadata_json']:,} metadata.json, "
        f"{table['manifest_lists']:,} manifest lists, {table['manifests']:,} manifests) "
        f"for {objects:,} objects"
    )
    _print_commit_pace(table.get("snapshot_ms", []))
    bound = math.ceil(table["data_bytes"] / TARGET_FILE_SIZE) + 2
    print(
        f"    target: data files bounded by size, not by objects: ≤ ceil(data size / "
        f"{TARGET_FILE_SIZE // MB} MB) + one per run (2 runs) = {bound}: "
        f"{_verdict(table['data_files'] <= bound)}"
    )
    if rows_ok:
        return []
    return [f"{scenario.key}: formatted.{SOURCE} holds {all_rows} rows, not {expected:,}"]


def _print_commit_pace(stamps: list[int]) -> None:
    """Print the seconds between the load's consecutive commits, early and late: a cost per
    object that grows with the table's history shows as a later interval longer than an early
    one (only when the load made 20 snapshots or more)."""
    gaps = [(later - earlier) / 1000 for earlier, later in itertools.pairwise(stamps[:-1])]
    if len(gaps) < 20:
        return
    tenth = len(gaps) // 10
    early, late = statistics.median(gaps[:tenth]), statistics.median(gaps[-tenth:])
    print(
        f"    seconds between the load's commits (median): first tenth {early:.2f} s, last "
        f"tenth {late:.2f} s ({late / early if early else float('nan'):.1f}x)"
    )


def machine_line() -> str:
    import duckdb
    import psutil

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
    )
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--", "src"], cwd=root, capture_output=True, text=True
    ).stdout.splitlines()
    found = subprocess.run(
        [sys.executable, "-c", "import lakebox; print(lakebox.__file__)"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return (
        f"lakebox: {found or '?'} (repository at {done.stdout.strip() or '?'}, "
        f"{len(changed)} uncommitted change(s) in src/)\n"
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{psutil.virtual_memory().total / 2**30:.1f} GiB RAM; python "
        f"{platform.python_version()}, duckdb {duckdb.__version__}; load average "
        f"{', '.join(f'{load:.1f}' for load in os.getloadavg())}"
    )


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------


def main() -> int:
    args = _arguments()
    if args.only:
        child_main(args)
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    scenarios = {
        "a": Scenario("a", args.files, args.rows),
        "b": Scenario("b", args.big_files, args.big_rows),
    }
    print(machine_line())
    problems: list[str] = []
    for key in args.scenarios:
        scenario = scenarios[key]
        folder = ensure_inputs(scenario)
        duckdb_runs, lakebox_runs = [], []
        for repeat in range(args.repeat):
            if args.repeat > 1:
                print(f"{scenario.name}, run {repeat + 1} of {args.repeat}")
            if "duckdb" in args.contenders:  # interleaved with lakebox's
                duckdb_runs.append(run_duckdb(scenario, folder))
            if "lakebox" in args.contenders:
                lakebox_runs.append(
                    {**run_lakebox(scenario, folder, args), "memory_limit": args.memory_limit}
                )
        (OUT / f"many-files-{key}-results.json").write_text(
            json.dumps({"duckdb": duckdb_runs, "lakebox": lakebox_runs}, indent=2, default=str)
        )
        if not duckdb_runs:
            problems += report_lakebox_only(scenario, representative(lakebox_runs))
            continue
        lakebox = representative(lakebox_runs) if lakebox_runs else None
        problems += report(scenario, lakebox, representative(duckdb_runs))
    print()
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scenarios", default="ab", type=_scenarios, help="which to run: a, b or ab (default)"
    )
    parser.add_argument("--files", type=int, default=10_000, help="scenario A's files (10,000)")
    parser.add_argument("--rows", type=int, default=100, help="rows per file in A (100)")
    parser.add_argument("--big-files", type=int, default=1_000, help="scenario B's files (1,000)")
    parser.add_argument("--big-rows", type=int, default=10_000, help="rows per file in B (10,000)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per contender; the median is reported"
    )
    parser.add_argument(
        "--contenders",
        default="duckdb,lakebox",
        type=_contenders,
        help="which to run, comma-separated (default: duckdb,lakebox)",
    )
    parser.add_argument(
        "--memory-limit",
        default=LAKEBOX_MEMORY_LIMIT,
        help=f"lakebox's engine.memory_limit (default: {LAKEBOX_MEMORY_LIMIT})",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep benchmarks/out/many-files-<a|b>-project"
    )
    parser.add_argument("--only", choices=list(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--project", help=argparse.SUPPRESS)
    parser.add_argument("--run-json", action="append", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if min(args.files, args.rows, args.big_files, args.big_rows, args.repeat) < 1:
        parser.error("--files, --rows, --big-files, --big-rows and --repeat must be ≥ 1")
    return args


def _contenders(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names or set(names) - {"duckdb", "lakebox"}:
        raise argparse.ArgumentTypeError("choose from duckdb, lakebox (comma-separated)")
    return names


def _scenarios(text: str) -> str:
    if not text or set(text) - {"a", "b"}:
        raise argparse.ArgumentTypeError("choose a, b or ab")
    return "".join(dict.fromkeys(text))


if __name__ == "__main__":
    sys.exit(main())
