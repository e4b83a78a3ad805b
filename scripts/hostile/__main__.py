"""`python -m scripts.hostile` (`make hostile`): run every hostile input of issue 20 on a fresh
project under the watchdog, print the table, exit 1 unless every row is bounded and accounted.

Every cap and size is a flag; the caps also read HOSTILE_TIMEOUT (seconds), HOSTILE_MAX_RSS_MB,
HOSTILE_MAX_WRITTEN_MB and HOSTILE_JOBS, so `make hostile HOSTILE_ARGS=...` or the environment
can set them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from scripts.hostile.cases import ALL
from scripts.hostile.report import Row, exit_code, markdown, table
from scripts.hostile.runner import Case, Settings, run_case
from scripts.hostile.servers import Servers
from scripts.hostile.watchdog import MB, Limits


def _env_number(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def parser() -> argparse.ArgumentParser:
    """Return the command line of the harness."""
    cli = argparse.ArgumentParser(prog="python -m scripts.hostile", description=__doc__)
    add = cli.add_argument
    add(
        "--timeout",
        type=float,
        default=_env_number("HOSTILE_TIMEOUT", 60),
        help="seconds one lakebox command may take (default 60)",
    )
    add(
        "--max-rss-mb",
        type=int,
        default=int(_env_number("HOSTILE_MAX_RSS_MB", 2048)),
        help="resident memory of one command's process tree, MiB (default 2048)",
    )
    add(
        "--max-written-mb",
        type=int,
        default=int(_env_number("HOSTILE_MAX_WRITTEN_MB", 2048)),
        help="bytes one command's process tree may write to disk, MiB (default 2048)",
    )
    add(
        "--address-space-mb",
        type=int,
        default=None,
        help="also set RLIMIT_AS (off by default: DuckDB reserves more than it uses)",
    )
    add("--bomb-mb", type=int, default=1024, help="the gzip bomb's expanded size (1024)")
    add("--body-mb", type=int, default=500, help="the huge plain HTTP body (500)")
    add("--xlsx-padding-mb", type=int, default=2048, help="the padded xlsx sheet part (2048)")
    add("--csv-record-mb", type=int, default=40, help="the huge CSV record (40; cap 32 MiB)")
    add("--ndjson-line-mb", type=int, default=20, help="the huge NDJSON line (20; cap 16 MiB)")
    add("--slow-gap", type=float, default=5.0, help="seconds between the slow API's bytes (5)")
    add(
        "--jobs",
        type=int,
        default=int(_env_number("HOSTILE_JOBS", 1)),
        help="cases run at once (1); each command's caps apply to it alone",
    )
    add(
        "--only",
        action="append",
        default=[],
        metavar="TEXT",
        help="run only the cases whose name or point number contains TEXT (repeatable)",
    )
    add("--list", action="store_true", help="list the cases and exit")
    add("--keep", action="store_true", help="keep each case's folder (in --workdir)")
    add("--workdir", type=Path, default=None, help="where the case folders go (a temp dir)")
    add("--markdown", type=Path, default=None, help="also write the table as Markdown here")
    return cli


def settings_from(options: argparse.Namespace) -> Settings:
    limits = Limits(
        seconds=options.timeout,
        rss_bytes=options.max_rss_mb * MB,
        written_bytes=options.max_written_mb * MB,
        address_space=options.address_space_mb * MB if options.address_space_mb else None,
    )
    return Settings(
        limits=limits,
        bomb_bytes=options.bomb_mb * MB,
        body_bytes=options.body_mb * MB,
        xlsx_padding=options.xlsx_padding_mb * MB,
        csv_record_bytes=options.csv_record_mb * MB,
        ndjson_line_bytes=options.ndjson_line_mb * MB,
        slow_gap=options.slow_gap,
        workdir=options.workdir,
        keep=options.keep,
    )


def selected(cases: Sequence[Case], only: Sequence[str]) -> list[Case]:
    """Return the cases whose name contains one of `only` or whose point is one of them."""
    if not only:
        return list(cases)
    return [c for c in cases if any(t == c.point or t.lower() in c.name.lower() for t in only)]


def run_all(cases: Sequence[Case], settings: Settings, jobs: int = 1) -> list[Row]:
    """Run the cases, `jobs` at a time, and return their rows in the cases' order."""
    server_settings = {"body_bytes": settings.body_bytes, "slow_gap": settings.slow_gap}
    with Servers(server_settings) as servers, ThreadPoolExecutor(max(1, jobs)) as pool:
        runs = [pool.submit(_run_one, case, settings, servers) for case in cases]
        return [run.result() for run in runs]


def _run_one(case: Case, settings: Settings, servers: Servers) -> Row:
    row = run_case(case, settings, servers)
    verdict = "ok" if row.ok else "FAIL: " + "; ".join(row.problems or [row.outcome])
    print(
        f"{case.point:>3} {case.name}: {row.outcome} in {row.seconds:.1f} s, {verdict}",
        file=sys.stderr,
        flush=True,
    )
    return row


def main(argv: Sequence[str] | None = None) -> int:
    options = parser().parse_args(argv)
    cases = selected(ALL, options.only)
    if options.list or not cases:
        print("\n".join(f"{case.point:>3}  {case.name}" for case in cases) or "no case matches")
        return 0 if cases else 2
    print(f"{len(cases)} cases, {options.jobs} at a time", file=sys.stderr, flush=True)
    rows = run_all(cases, settings_from(options), options.jobs)
    print(table(rows))
    if options.markdown is not None:
        options.markdown.write_text(markdown(rows) + "\n", encoding="utf-8")
    return exit_code(rows)


if __name__ == "__main__":
    sys.exit(main())
