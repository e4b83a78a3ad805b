"""Ingest benchmark: lakebox end to end against DuckDB's and pandas' CSV → Parquet.

Run from the repository root (see benchmarks/README.md):

    .venv/bin/python benchmarks/ingest.py                 # 10M rows (~490 MB of CSV)
    .venv/bin/python benchmarks/ingest.py --repeat 3      # median of 3 runs per contender
    .venv/bin/python benchmarks/ingest.py --rows 200000   # smoke run, seconds

One deterministic CSV is generated into benchmarks/out/ (kept between runs; regenerated when
missing or when --rows or the generator changes). Each contender then runs in its own child
process, so its peak RSS is its own (`os.wait4` gives the child's `ru_maxrss`):

  (a) lakebox: a fresh project with source `events` (format csv, no key) and
      `engine.memory_limit` set to 500MB, then landing (`land`: copy + sha256 + manifest) and
      formatting (`format_pending`: parse, type, dedup, write Parquet, commit to Iceberg) —
      the two calls `lakebox.orchestration.runner.ingest` makes — timed stage by stage; the
      table is read back and checked in another child, so the check's memory is not counted;
  (b) DuckDB: COPY (FROM read_csv(...)) TO '...parquet' on a fresh connection, default settings;
  (c) pandas: read_csv (C engine) then to_parquet (pyarrow engine).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"
DEFAULT_ROWS = 10_000_000
LAKEBOX_MEMORY_LIMIT = "500MB"
RSS_TARGET_MB = 1024
THROUGHPUT_TARGET = 0.7
GENERATOR_VERSION = 1
MB = 1024 * 1024
CONTENDERS = {
    "a": "lakebox ingest",
    "b": "duckdb COPY",
    "c": "pandas",
}

# --------------------------------------------------------------------------------------------
# The input file
# --------------------------------------------------------------------------------------------

GENERATOR_SQL = """
COPY (
    SELECT
        i + 1 AS id,
        strftime(TIMESTAMP '2024-01-01 00:00:00' + to_seconds(i * 3), '%Y-%m-%d %H:%M:%S') AS ts,
        'S' || lpad(((i * 7919) % 250)::VARCHAR, 3, '0') AS store,
        'T' || lpad(((i * 104729) % 5000)::VARCHAR, 4, '0') AS sensor,
        ((i * 2654435761) % 1000) // (1 + (i % 7)) AS count,
        (CASE WHEN i % 53 = 0 THEN -1 ELSE 1 END
            * (((i * 40503) % 100000)::DECIMAL(12, 2) / 100))::DECIMAL(12, 2) AS amount,
        CASE
            WHEN i % 10 = 0 THEN 'late'
            WHEN i % 37 = 0 THEN 'recalibrated, ok'
            WHEN i % 101 = 0 THEN 'operator said "check"'
        END AS comment
    FROM range({rows}) AS t(i)
) TO {target} (FORMAT csv, HEADER true)
"""


def ensure_csv(rows: int) -> Path:
    """Return the benchmark CSV of `rows` rows, generating it only when the cached one differs."""
    OUT.mkdir(parents=True, exist_ok=True)
    path, stamp = OUT / "events.csv", OUT / "events.json"
    wanted = {"rows": rows, "generator": GENERATOR_VERSION}
    if path.exists() and stamp.exists():
        cached = json.loads(stamp.read_text())
        if {key: cached.get(key) for key in wanted} == wanted and cached.get("bytes") == (
            path.stat().st_size
        ):
            print(f"input: {path} (cached, {rows:,} rows, {path.stat().st_size / MB:,.0f} MB)")
            return path
    _generate(path, rows)
    stamp.write_text(json.dumps({**wanted, "bytes": path.stat().st_size}))
    return path


def _generate(path: Path, rows: int) -> None:
    import duckdb

    started = time.monotonic()
    path.unlink(missing_ok=True)
    with duckdb.connect() as connection:
        target = "'" + str(path).replace("'", "''") + "'"
        connection.execute(GENERATOR_SQL.format(rows=int(rows), target=target))
    size = path.stat().st_size / MB
    print(
        f"input: {path} (generated {rows:,} rows, {size:,.0f} MB "
        f"in {time.monotonic() - started:.1f} s)"
    )


# The same aggregates over lakebox's table and DuckDB's Parquet: equal when no value was lost.
FIDELITY = {
    "sum(amount)": "round(sum(amount::DOUBLE), 2)::VARCHAR",
    "count(DISTINCT ts)": "count(DISTINCT ts)::VARCHAR",
    "max(ts)": "strftime(max(ts), '%Y-%m-%d %H:%M:%S')",
    "count(comment)": "count(comment)::VARCHAR",
    'sum("count")': 'sum("count")::VARCHAR',
}


def fidelity_sql(table: str) -> str:
    """Return the SELECT of the FIDELITY aggregates over `table`."""
    return f"SELECT {', '.join(FIDELITY.values())} FROM {table}"


# --------------------------------------------------------------------------------------------
# Inside a child: sections timed, RSS sampled
# --------------------------------------------------------------------------------------------


class _Frame:
    def __init__(self, path: tuple[str, ...]) -> None:
        self.path = path
        self.peak = 0


class Recorder:
    """Times nested sections of one child and samples its RSS; saves progress as it goes."""

    def __init__(self, result_path: Path) -> None:
        import psutil

        self.result_path = result_path
        self.process = psutil.Process()
        self.stack: list[_Frame] = []
        self.sections: dict[tuple[str, ...], dict[str, float]] = {}
        self.facts: dict[str, Any] = {}
        self.spill_dir: Path | None = None
        self.spill_peak = 0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    @contextmanager
    def section(self, name: str) -> Iterator[None]:
        """Time the block as `name`, nested under the sections open around it."""
        parent = self.stack[-1].path if self.stack else ()
        frame = _Frame((*parent, name))
        self.stack.append(frame)
        if len(frame.path) == 1:
            self.facts["running"] = name
            self.save()
        frame.peak = max(frame.peak, self.process.memory_info().rss)
        started = time.perf_counter()
        try:
            yield
        finally:
            seconds = time.perf_counter() - started
            self.stack.pop()
            total = self.sections.setdefault(frame.path, {"seconds": 0.0, "calls": 0, "peak": 0})
            total["seconds"] += seconds
            total["calls"] += 1
            total["peak"] = max(total["peak"], frame.peak, self.process.memory_info().rss)
            if len(frame.path) == 1:
                self.facts["running"] = None
                self.save()

    def wrap(self, function: Callable[..., Any], label: Callable[..., str]) -> Callable[..., Any]:
        """Return `function` timed as a section named by `label(*args)`."""

        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.section(label(*args, **kwargs)):
                return function(*args, **kwargs)

        return timed

    def save(self) -> None:
        sections = [{"path": list(path), **values} for path, values in self.sections.items()]
        data = {**self.facts, "sections": sections, "spill_peak": self.spill_peak}
        self.result_path.write_text(json.dumps(data, default=str))

    def stop(self) -> None:
        self._stop.set()
        self._sampler.join()
        self.save()

    def _sample(self) -> None:
        tick = 0
        while not self._stop.wait(0.02):
            rss = self.process.memory_info().rss
            for frame in list(self.stack):
                frame.peak = max(frame.peak, rss)
            tick += 1
            if self.spill_dir is not None and tick % 10 == 0:
                self.spill_peak = max(self.spill_peak, _spill_bytes(self.spill_dir))


def _spill_bytes(directory: Path) -> int:
    """DuckDB's spill files sit at the top of temp_directory (batch work dirs are below)."""
    try:
        return sum(item.stat().st_size for item in directory.iterdir() if item.is_file())
    except OSError:
        return 0


# --------------------------------------------------------------------------------------------
# (a) lakebox
# --------------------------------------------------------------------------------------------

# Which formatter statement a SQL text is (see src/lakebox/formatted/formatter.py and dedup.py);
# the first pattern that matches names it.
_STATEMENTS = (
    (r"^CREATE (OR REPLACE )?TEMP TABLE _sample", "4a read the inference sample → _sample"),
    (r"FROM _sample$", "4b infer types on the sample"),
    (r"LIMIT \d+\)$", "4 infer types on a sample (LIMIT n)"),
    (r"^COPY \(SELECT [^()]* FROM read_csv\(", "1 typed path: parse CSV, numbers typed → Parquet"),
    (r"^CREATE TEMP TABLE typed_refused_", "2 typed path: group the reader's rejects"),
    (r"^SELECT EXISTS", "2b typed path: any record refused on a cast?"),
    (
        r"^COPY \(SELECT .* FROM fast_\d+\)",
        "5 typed path: rules + lines → formatted Parquet (once)",
    ),
    (r"^SELECT \(SELECT count\(\*\) FROM read_parquet", "7 counts"),
    (r"^CREATE TEMP TABLE raw_.*row_number\(\) OVER \(\)", "1 parse CSV + number records → raw_"),
    (r"^CREATE TEMP TABLE raw_", "1 parse CSV → temp table raw_"),
    (r"^CREATE TEMP TABLE refused_", "2 group parser rejects → refused_"),
    (r"^CREATE TEMP VIEW lined_", "3 view lined_ (line numbers)"),
    (r"^CREATE TEMP TABLE staged_.*read_csv\(", "5 parse CSV + typed columns + checks → staged_"),
    (r"^CREATE TEMP TABLE staged_", "5 typed columns + checks + hash → staged_"),
    (r"^COPY \(WITH v AS", "5 typed columns + checks + hash → staged Parquet"),
    (r"^CREATE TEMP VIEW staged_", "5b view staged_ over the staged Parquet"),
    (r"^CREATE OR REPLACE TEMP TABLE dropped_", "6 exact-duplicate search (hash aggregate)"),
    (r"^INSERT INTO dropped_", "6b key dedup"),
    (r"^SELECT count\(\*\)", "7 counts"),
    (r"^COPY .*_reason IS NOT NULL", "8 COPY quarantine rows → Parquet"),
    (r"^COPY .*_reason IS NULL.* ORDER BY _ordinal\)", "9 COPY good rows → Parquet (ORDER BY)"),
    (r"^COPY .*_reason IS NULL", "9 COPY good rows → Parquet"),
    (r"^(CREATE SCHEMA|CREATE OR REPLACE VIEW)", "views over the tables (refresh)"),
    (r"^DROP ", "11 drop temp tables"),
)


def statement_label(sql: str, *_: Any, **__: Any) -> str:
    """Return the benchmark's name for one formatter statement."""
    text = " ".join(sql.split())
    for pattern, label in _STATEMENTS:
        if re.search(pattern, text):
            return label
    return "other SQL"


def run_lakebox(args: argparse.Namespace, recorder: Recorder) -> dict[str, Any]:
    """Ingest the CSV into a fresh lakebox project; return the facts to report."""
    from lakebox import project
    from lakebox.config import SourceConfig
    from lakebox.formatted import formatter, readers
    from lakebox.lakehouse import open_project
    from lakebox.landing import loader, staging
    from lakebox.landing.sources import files

    package = Path(sys.modules["lakebox"].__file__ or "?").parent
    recorder.facts.update(package=str(package), code=source_digest(package))
    project_dir = OUT / "lakebox-project"
    shutil.rmtree(project_dir, ignore_errors=True)
    _instrument_modules(recorder, staging, files, readers, formatter)
    started = time.perf_counter()
    with recorder.section("setup (init, add source, open)"):
        project.init(project_dir, name="bench")
        _set_memory_limit(project_dir / "lakebox.yaml", args.memory_limit)
        project.add_source(project_dir, "events", SourceConfig(path=args.csv, format="csv"))
        lh = open_project(project_dir)
    recorder.spill_dir = lh.scratch_dir
    _instrument_lakehouse(recorder, lh)
    _log_statements(lh, OUT / "lakebox-statements.log")
    with recorder.section("landing (loader.land)"):
        landing = loader.land(lh, "events")
    with recorder.section("formatting (formatter.format_pending)"):
        results = formatter.format_pending(lh, "events")
    seconds = time.perf_counter() - started
    lh.close()
    return {
        "seconds": seconds,
        "landed": len(landing.landed),
        "format_results": [
            {"status": r.status, "error": r.error, **vars(r.counts)} for r in results
        ],
        "memory_limit": lh.config.engine.memory_limit,
    }


def verify_lakebox(args: argparse.Namespace, recorder: Recorder) -> dict[str, Any]:
    """Read back the table the lakebox run wrote (in its own process: its RSS is not (a)'s)."""
    from lakebox.errors import QueryError
    from lakebox.lakehouse import open_project

    with open_project(OUT / "lakebox-project") as lh:
        try:
            rows = int(lh.query("SELECT count(*) FROM formatted.events").column(0)[0].as_py())
        except QueryError as error:
            return {"rows": 0, "verify_error": str(error).splitlines()[0]}
        schema = lh.query("SELECT * FROM formatted.events LIMIT 0").schema
        values = lh.query(fidelity_sql("formatted.events")).to_pylist()[0]
        # the generated id is the record number, so its line is id + 1 (after the header)
        misnumbered = (
            lh.query("SELECT count(*) FROM formatted.events WHERE _source_line <> id + 1")
            .column(0)[0]
            .as_py()
        )
    if misnumbered:
        return {"rows": rows, "verify_error": f"{misnumbered} rows carry a wrong _source_line"}
    return {
        "rows": rows,
        "schema": [f"{field.name} {field.type}" for field in schema],
        "fidelity": list(values.values()),
    }


def source_digest(package: Path) -> str:
    """Return a short digest of the package's Python files: equal digests, same code."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:10]


def _set_memory_limit(project_file: Path, limit: str) -> None:
    text = project_file.read_text(encoding="utf-8")
    edited, count = re.subn(r"(?m)^  memory_limit: .*$", f"  memory_limit: {limit}", text)
    if count != 1:
        raise SystemExit(f"{project_file}: no 'engine: memory_limit:' line to edit")
    project_file.write_text(edited, encoding="utf-8")


def _instrument_modules(
    recorder: Recorder, staging: Any, files: Any, readers: Any, formatter: Any
) -> None:
    """Time the landing steps and the formatter's non-SQL steps (this process only; files
    land in parallel, so the landing steps' times add up the threads' times)."""
    staging.sha256_of = recorder.wrap(staging.sha256_of, lambda *_: "sha256 of the copy")
    files.FilesSource.fetch = recorder.wrap(
        files.FilesSource.fetch, lambda *_: "copy file into temporal/ (fetch)"
    )
    readers.read = recorder.wrap(readers.read, lambda *_: "0 detect encoding + sniff dialect")
    formatter.commit_batch = recorder.wrap(
        formatter.commit_batch, lambda _lh, ref, *_, **__: f"10 Iceberg commit ({ref.zone})"
    )


def _instrument_lakehouse(recorder: Recorder, lh: Any) -> None:
    lh.engine.execute = recorder.wrap(lh.engine.execute, statement_label)
    lh.storage.put = recorder.wrap(lh.storage.put, lambda *_, **__: "move into place (storage.put)")


def _log_statements(lh: Any, log_path: Path) -> None:
    """Write every top-level SQL statement and its seconds to `log_path`, for reading later."""
    timed = lh.engine.execute
    log = log_path.open("w", encoding="utf-8")

    def execute(sql: str, parameters: list[object] | None = None) -> Any:
        started = time.perf_counter()
        try:
            return timed(sql, parameters)
        finally:
            log.write(f"-- {time.perf_counter() - started:.3f} s\n{sql}\n\n")
            log.flush()

    lh.engine.execute = execute


# --------------------------------------------------------------------------------------------
# (b) DuckDB and (c) pandas
# --------------------------------------------------------------------------------------------


def run_duckdb(args: argparse.Namespace, recorder: Recorder) -> dict[str, Any]:
    """COPY the CSV to Parquet on a fresh DuckDB connection; return the facts to report."""
    import duckdb

    target = OUT / "duckdb.parquet"
    target.unlink(missing_ok=True)
    started = time.perf_counter()
    with recorder.section("COPY (FROM read_csv) TO parquet"):
        connection = duckdb.connect()
        connection.execute(f"COPY (FROM read_csv('{args.csv}')) TO '{target}' (FORMAT parquet)")
    seconds = time.perf_counter() - started
    count = connection.execute(f"SELECT count(*) FROM '{target}'").fetchone()[0]
    values = connection.execute(fidelity_sql(f"'{target}'")).fetchone()
    schema = connection.execute(f"DESCRIBE SELECT * FROM '{target}'").fetchall()
    settings = connection.execute(
        "SELECT current_setting('memory_limit'), current_setting('threads')"
    ).fetchone()
    connection.close()
    return {
        "seconds": seconds,
        "rows": int(count),
        "memory_limit": settings[0],
        "threads": settings[1],
        "parquet_mb": target.stat().st_size / MB,
        "fidelity": list(values),
        "schema": [f"{name} {kind}" for name, kind, *_ in schema],
    }


def run_pandas(args: argparse.Namespace, recorder: Recorder) -> dict[str, Any]:
    """read_csv then to_parquet with pyarrow; return the facts to report."""
    import pandas as pd

    target = OUT / "pandas.parquet"
    target.unlink(missing_ok=True)
    started = time.perf_counter()
    with recorder.section("read_csv"):
        frame = pd.read_csv(args.csv)
    with recorder.section("to_parquet (pyarrow)"):
        frame.to_parquet(target, engine="pyarrow")
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": len(frame), "parquet_mb": target.stat().st_size / MB}


RUNNERS = {"a": run_lakebox, "b": run_duckdb, "c": run_pandas, "verify": verify_lakebox}


def child_main(args: argparse.Namespace) -> None:
    """Run one contender and leave its facts in the result file."""
    recorder = Recorder(Path(args.result))
    try:
        facts = RUNNERS[args.only](args, recorder)
    except BaseException as error:
        recorder.facts["error"] = f"{type(error).__name__}: {error}"
        recorder.stop()
        raise
    recorder.facts.update(facts)
    recorder.stop()


# --------------------------------------------------------------------------------------------
# The parent: one child per contender, then the report
# --------------------------------------------------------------------------------------------


def run_contender(
    key: str, args: argparse.Namespace, csv_path: Path, repeat: int
) -> dict[str, Any]:
    """Run contender `key` (and, for lakebox, the read-back); return its facts."""
    run = f" (run {repeat + 1} of {args.repeat})" if args.repeat > 1 else ""
    print(f"running ({key}) {CONTENDERS[key]}{run} …", flush=True)
    facts = run_child(key, args, csv_path)
    if key == "a":
        if (OUT / "lakebox-project" / "lakebox.yaml").exists():
            check = run_child("verify", args, csv_path)
            facts.update({k: v for k, v in check.items() if k in _VERIFIED})
            if check.get("exit") != 0:
                facts["verify_error"] = check.get("error", "the read-back failed")
        if not args.keep:
            shutil.rmtree(OUT / "lakebox-project", ignore_errors=True)
    if facts.get("seconds") is not None:
        print(
            f"    {facts['seconds']:.1f} s, peak RSS {facts['peak_rss_mb']:,.0f} MB, "
            f"other processes used {facts['other_cpu']:.0%} of the CPUs meanwhile",
            flush=True,
        )
    return facts


_VERIFIED = ("rows", "schema", "fidelity", "verify_error")


def run_child(key: str, args: argparse.Namespace, csv_path: Path) -> dict[str, Any]:
    """Run `--only key` in a child process; return its facts, wall time and peak RSS."""
    import psutil

    result_path = OUT / f"result-{key}.json"
    log_path = OUT / f"child-{key}.log"
    result_path.unlink(missing_ok=True)
    command = [
        sys.executable, __file__, "--only", key, "--rows", str(args.rows),
        "--csv", str(csv_path), "--result", str(result_path),
        "--memory-limit", args.memory_limit,
    ] + (["--keep"] if args.keep else [])  # fmt: skip
    os.sync()  # the previous child's dirty pages are written now, not during this child
    cpu_before = psutil.cpu_times()
    started = time.perf_counter()
    with log_path.open("w") as log:
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    others = _other_cpu_share(cpu_before, psutil.cpu_times(), usage, wall)
    facts = json.loads(result_path.read_text()) if result_path.exists() else {}
    facts.update(
        other_cpu=others,
        process_seconds=time.perf_counter() - started,
        peak_rss_mb=usage.ru_maxrss / 1024,  # Linux reports kilobytes
        exit=child.returncode,
    )
    if child.returncode != 0:
        facts["log_tail"] = log_path.read_text(errors="replace").splitlines()[-25:]
    return facts


def _other_cpu_share(before: Any, after: Any, usage: Any, wall: float) -> float:
    """Return the share of the machine's CPU time that processes other than the child used."""
    busy = sum(after) - after.idle - after.iowait - (sum(before) - before.idle - before.iowait)
    child = usage.ru_utime + usage.ru_stime
    return max(0.0, busy - child) / (wall * (os.cpu_count() or 1))


def report(args: argparse.Namespace, csv_path: Path, results: dict[str, dict[str, Any]]) -> None:
    """Print the comparison table, the targets and where lakebox's time goes."""
    print()
    print(_machine(csv_path, results.get("a", {}).get("package"), results.get("a", {})))
    print()
    print(
        f"{'contender':<22}{'wall s':>9}{'(min–max)':>14}{'rows/s':>13}{'peak RSS MB':>13}"
        f"{'rows out':>13}  ok"
    )
    for key, facts in results.items():
        print(_row(CONTENDERS[key], args.rows, facts))
    print()
    repeats = max(facts.get("repeats", 1) for facts in results.values())
    print(
        f"wall s: the timed work inside the child (imports and interpreter start excluded), "
        f"median of {repeats} run(s);"
    )
    print("peak RSS: ru_maxrss of that child process (os.wait4), highest over the runs.")
    busiest = max(facts.get("other_cpu", 0.0) for facts in results.values())
    if busiest > 0.1:
        print(
            f"WARNING: other processes used up to {busiest:.0%} of the CPUs during a run; "
            "the timings are not clean (rerun on a quiet machine)."
        )
    _print_settings(args, results)
    _print_targets(results)
    _print_failures(results)
    if "a" in results:
        _print_breakdown(results["a"])


def _print_failures(results: dict[str, dict[str, Any]]) -> None:
    """Print the runs that failed although another run of the same contender finished."""
    for key, facts in results.items():
        failure = facts.get("failure")
        if not failure:
            continue
        print()
        print(
            f"({key}) {CONTENDERS[key]}: {facts['failures']} of {facts['repeats']} runs FAILED "
            f"(exit {failure.get('exit')}, in stage {failure.get('running')!r}): "
            f"{failure.get('error', '')}"
        )
        for line in failure.get("log_tail", [])[-8:]:
            print(f"    {line}")


def _machine(csv_path: Path, package: str | None, lakebox: dict[str, Any]) -> str:
    import duckdb
    import pandas as pd
    import psutil
    import pyarrow as pa

    lines = [f"lakebox: {_source_state(package)}{_code_note(lakebox)}"] if package else []
    lines.append(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{psutil.virtual_memory().total / 2**30:.1f} GiB RAM; python {platform.python_version()}, "
        f"duckdb {duckdb.__version__}, pandas {pd.__version__}, pyarrow {pa.__version__}"
    )
    lines.append(f"input: {csv_path.name}, {csv_path.stat().st_size / MB:,.0f} MB")
    return "\n".join(lines)


def _code_note(lakebox: dict[str, Any]) -> str:
    codes = lakebox.get("codes", [])
    if len(codes) > 1:
        return f"; WARNING: the code changed between runs (digests {', '.join(codes)})"
    return f"; code digest {codes[0]}" if codes else ""


def _source_state(package: str | None) -> str:
    """Return which lakebox ran: this repository's src/ at a commit, or another tree."""
    root = Path(__file__).resolve().parent.parent
    if package and not Path(package).is_relative_to(root / "src"):
        stamp = Path(package).parent.parent / "COMMIT"  # written beside a `git archive` export
        commit = f", commit {stamp.read_text().strip()}" if stamp.exists() else ""
        return f"imported from {package}{commit} (not this repository's src/; see PYTHONPATH)"

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else "?"

    changed = git("status", "--porcelain", "--", "src").splitlines()
    local = f", {len(changed)} uncommitted change(s) in src/" if changed else ", src/ clean"
    return f"{root / 'src'} at commit {git('rev-parse', '--short', 'HEAD')}{local}"


def _row(name: str, rows: int, facts: dict[str, Any]) -> str:
    ok = facts.get("exit") == 0 and facts.get("rows") == rows
    seconds = facts.get("seconds")
    failures = (
        f" ({facts['failures']} of {facts['repeats']} runs failed)" if facts.get("failures") else ""
    )
    if seconds is None or not ok:
        shown = f"{seconds:.1f}" if seconds is not None else "—"
        why = f"exit {facts.get('exit')}" if facts.get("exit") else f"not {rows:,} rows out"
        return (
            f"{name:<22}{shown:>9}{'':>14}{'—':>13}{facts['peak_rss_mb']:>13,.0f}"
            f"{facts.get('rows', 0):>13,}  FAILED ({why}){failures}"
        )
    low, high = facts.get("spread", (seconds, seconds))
    spread = f"{low:.1f}–{high:.1f}" if facts.get("repeats", 1) > 1 else ""
    return (
        f"{name:<22}{seconds:>9.1f}{spread:>14}{rows / seconds:>13,.0f}"
        f"{facts['peak_rss_mb']:>13,.0f}{facts.get('rows', 0):>13,}  yes{failures}"
    )


def _print_settings(args: argparse.Namespace, results: dict[str, dict[str, Any]]) -> None:
    lines = {
        "a": f"(a) lakebox.yaml engine.memory_limit set to {args.memory_limit} (lakebox read "
        f"back: {results.get('a', {}).get('memory_limit', '?')}); no key; Parquet zstd.",
        "b": f"(b) DuckDB defaults: memory_limit {results.get('b', {}).get('memory_limit', '?')}, "
        f"threads {results.get('b', {}).get('threads', '?')}; Parquet snappy.",
        "c": "(c) pandas read_csv (C engine), to_parquet(engine='pyarrow'); Parquet snappy.",
    }
    for number, key in enumerate(results):
        print(f"{'settings:' if number == 0 else '':<10}{lines[key]}")


def _print_targets(results: dict[str, dict[str, Any]]) -> None:
    if "a" not in results:
        return
    a = results["a"]
    print()
    if a.get("seconds") is None:
        print(f"targets: lakebox did not finish: {a.get('error', 'see log below')}")
        for line in a.get("log_tail", []):
            print(f"    {line}")
        if a.get("running"):
            print(f"    (it was in stage: {a['running']})")
        return
    bad = [result for result in a.get("format_results", []) if result["status"] != "formatted"]
    for result in bad:
        print(f"targets: lakebox did not format the file: {result['status']}: {result['error']}")
    if bad or not a.get("format_results"):
        print(f"lakebox peak RSS = {a['peak_rss_mb']:,.0f} MB")
        return
    for key, name, target in (("b", "DuckDB", THROUGHPUT_TARGET), ("c", "pandas", None)):
        other = results.get(key, {})
        if other.get("seconds") is None:
            continue
        ratio = other["seconds"] / a["seconds"]
        verdict = (
            f" (target ≥ {target}: {'met' if ratio >= target else 'MISSED'})" if target else ""
        )
        print(f"lakebox throughput / {name} throughput = {ratio:.2f}{verdict}")
    rss = a["peak_rss_mb"]
    verdict = "met" if rss <= RSS_TARGET_MB else "MISSED"
    print(f"lakebox peak RSS = {rss:,.0f} MB vs target ≤ {RSS_TARGET_MB} MB (1 GiB): {verdict}")
    for result in a.get("format_results", []):
        print(
            f"lakebox formatted: status {result['status']}, read {result['rows_read']:,}, "
            f"formatted {result['rows_formatted']:,}, quarantined {result['rows_quarantined']:,}, "
            f"duplicate {result['rows_duplicate']:,}; Iceberg table formatted.events holds "
            f"{a.get('rows', 0):,} rows (read back in a separate process)"
        )
    if a.get("verify_error"):
        print(f"lakebox read-back failed: {a['verify_error']}")
    if a.get("schema"):
        print(f"lakebox schema: {', '.join(a['schema'])}")
    _print_fidelity(a, results.get("b", {}))


def _print_fidelity(a: dict[str, Any], b: dict[str, Any]) -> None:
    if not a.get("fidelity") or not b.get("fidelity"):
        return
    print(f"DuckDB schema:  {', '.join(b['schema'])}")
    print("values, lakebox's table vs DuckDB's Parquet of the same CSV:")
    for name, mine, theirs in zip(FIDELITY, a["fidelity"], b["fidelity"], strict=True):
        verdict = "same" if mine == theirs else "DIFFERENT"
        print(f"    {name:<20} {mine!s:>22}  {theirs!s:>22}  {verdict}")


def _print_breakdown(facts: dict[str, Any]) -> None:
    sections = facts.get("sections", [])
    if not sections:
        return
    print()
    print(
        "where lakebox's time goes (its median run; sections timed in the child; "
        "peak = RSS high-water mark):"
    )
    print(f"  {'stage / step':<60}{'seconds':>9}{'share':>8}{'calls':>7}{'peak MB':>9}")
    total = facts.get("seconds") or sum(s["seconds"] for s in sections if len(s["path"]) == 1)
    for top in (s for s in sections if len(s["path"]) == 1):
        print(_breakdown_row(top["path"][0], top, total, indent=""))
        children = [s for s in sections if len(s["path"]) == 2 and s["path"][0] == top["path"][0]]
        for child in sorted(children, key=lambda s: _step_order(s["path"][1])):
            print(_breakdown_row(child["path"][1], child, total, indent="    "))
        rest = top["seconds"] - sum(child["seconds"] for child in children)
        if children and rest > 0.005:
            print(f"  {'    (python, catalog, manifest between the steps)':<60}{rest:>9.2f}"
                  f"{rest / total:>8.0%}")  # fmt: skip
    spill = facts.get("spill_peak", 0) / MB
    print(f"  DuckDB spill files in temp_directory, peak: {spill:,.0f} MB")
    print(f"  every statement with its SQL: {OUT / 'lakebox-statements.log'}")


def _breakdown_row(name: str, section: dict[str, Any], total: float, indent: str) -> str:
    label = (indent + name)[:60]
    return (
        f"  {label:<60}{section['seconds']:>9.2f}{section['seconds'] / total:>8.0%}"
        f"{section['calls']:>7}{section['peak'] / MB:>9,.0f}"
    )


def _step_order(name: str) -> tuple[int, str]:
    number = re.match(r"\d+", name)
    return (int(number.group()) if number else -1, name)


def main() -> None:
    args = _arguments()
    if args.only:
        child_main(args)
        return
    csv_path = ensure_csv(args.rows)
    runs: dict[str, list[dict[str, Any]]] = {key: [] for key in args.contenders}
    for repeat in range(args.repeat):
        for key in runs:  # interleaved, so a slow spell of the machine hits every contender
            runs[key].append(run_contender(key, args, csv_path, repeat))
    (OUT / "results.json").write_text(json.dumps(runs, indent=2, default=str))
    report(args, csv_path, {key: representative(found, args.rows) for key, found in runs.items()})


def representative(runs: list[dict[str, Any]], rows: int) -> dict[str, Any]:
    """Return the median good run (or the first failed one), with the spread and highest RSS."""
    failed = [
        run
        for run in runs
        if run.get("seconds") is None or run.get("exit") != 0 or run.get("rows") != rows
    ]
    finished = [run for run in runs if run not in failed]
    if not finished:
        codes = sorted({run["code"] for run in runs if run.get("code")})
        return {**failed[0], "failures": len(failed), "repeats": len(runs), "codes": codes}
    ordered = sorted(finished, key=lambda run: run["seconds"])
    median = dict(ordered[len(ordered) // 2])
    median["spread"] = (ordered[0]["seconds"], ordered[-1]["seconds"])
    median["peak_rss_mb"] = max(run["peak_rss_mb"] for run in runs)
    median["repeats"] = len(runs)
    median["codes"] = sorted({run["code"] for run in runs if run.get("code")})
    median["other_cpu"] = max(run.get("other_cpu", 0.0) for run in runs)
    median["failures"] = len(failed)
    if failed:
        median["failure"] = failed[0]
    return median


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows in the CSV")
    parser.add_argument("--keep", action="store_true", help="keep benchmarks/out/lakebox-project")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per contender; the median is reported"
    )
    parser.add_argument(
        "--contenders",
        default="".join(CONTENDERS),
        type=_contenders,
        help="which to run, e.g. 'a' for lakebox alone (default: abc)",
    )
    parser.add_argument(
        "--memory-limit",
        default=LAKEBOX_MEMORY_LIMIT,
        help=f"lakebox's engine.memory_limit (default: {LAKEBOX_MEMORY_LIMIT})",
    )
    parser.add_argument("--only", choices=list(RUNNERS), help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    return parser.parse_args()


def _contenders(text: str) -> str:
    unknown = set(text) - set(CONTENDERS)
    if unknown or not text:
        raise argparse.ArgumentTypeError(f"choose from {''.join(CONTENDERS)}, e.g. 'ab'")
    return "".join(dict.fromkeys(text))


if __name__ == "__main__":
    main()
