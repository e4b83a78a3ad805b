"""Reading what should not be read: links out of the source folder, root globs and storage
roots, models reading system files, and the config bombs (points 7, 9, 10, 16)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable

from scripts.hostile.cases.common import ANY_BOUNDED, HANDLED, expect, refused_config, run_source
from scripts.hostile.judge import (
    Step,
    Verdict,
    abnormal,
    check_good_went_on,
    model_statuses,
    short,
    source_outcome,
    tables_holding,
)
from scripts.hostile.runner import SECRET, Case, CaseRun

PASSWD_MARK = "root:x:0:0"
BOMB = """x_bomb:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""
DUPLICATE = """sources:
  good:
    kind: files
    path: exports/good
    path: /etc
"""


def link_case(name: str, target: str, needle: str) -> Case:
    """Return a case whose source folder holds a link to `target`; `needle` must not land."""

    def run_it(run: CaseRun) -> Verdict:
        folder = run.project.root / "exports/bad"
        folder.mkdir(parents=True)
        run.project.write("exports/bad/ok.csv", "id,name\n1,x\n")
        if target == "loop":
            os.symlink("..", folder / "up")
            os.symlink("loop-b", folder / "loop-a")
            os.symlink("loop-a", folder / "loop-b")
        else:
            os.symlink(target, folder / "linked.csv")
        run.project.source("bad", kind="files", path="exports/bad")
        run.project.save()
        verdict = run_source(run, "bad", ANY_BOUNDED)
        leaked = tables_holding(run.project, needle) if needle else []
        verdict.require(not leaked, f"{needle!r} landed in {', '.join(leaked[:2])}")
        return verdict

    return Case("9", name, run_it)


def root_glob(run: CaseRun) -> Verdict:
    """`path: '/**'` must be refused, not crawl the disk."""
    run.project.source("bad", kind="files", path="/**")
    run.project.save()
    step = run.lakebox("run", "--json")
    if step.report is None:  # refused when the project is read: a config error, no run
        return refused_config(step)
    return expect(source_outcome(step, "bad"), HANDLED)


def config_command(name: str, point: str, change: Callable[[str], str]) -> Case:
    """Return a case running `lakebox source list` on a config that must be refused."""

    def run_it(run: CaseRun) -> Verdict:
        run.project.write("lakebox.yaml", change(run.project.config_text()))
        step = run.lakebox("source", "list", "--json")
        verdict = refused_config(step)
        if verdict.outcome == "accepted" and '"/etc"' in step.watched.stdout:
            verdict.problems.append("the duplicate key silently won: path is /etc")
        return verdict

    return Case(point, name, run_it)


def _model_outcome(
    verdict: Verdict, step: Step, got: dict[str, str], statuses: dict[str, tuple[str, str]]
) -> None:
    """Put the models' statuses, and the first failure (a model's or the run's), in the verdict."""
    errors = [error for status, error in statuses.values() if status == "failed"]
    if not statuses and (step.report or {}).get("error"):
        errors = [str((step.report or {})["error"])]
    verdict.outcome = "failed" if errors else "built"
    verdict.detail = ", ".join(f"{model} {status}" for model, status in got.items())
    if errors:
        verdict.detail += f" ({short(errors[0])})"


def model_case(name: str, point: str, models: dict[str, str], expected: dict[str, str]) -> Case:
    """Return a case building `models` (name → SQL); each must end with its expected status."""

    def run_it(run: CaseRun) -> Verdict:
        for model, sql in models.items():
            run.project.model(model, sql)
        run.project.save()
        step = run.lakebox("run", "--json")
        verdict = source_outcome(step, "good")
        check_good_went_on(verdict, step)
        statuses = model_statuses(step)
        got = {model: statuses.get(model, ("missing", ""))[0] for model in models}
        if abnormal(step.watched) is None:
            _model_outcome(verdict, step, got, statuses)
        for model, status in expected.items():
            verdict.require(got[model] == status, f"{model}: {got[model]}, expected {status}")
        leaked = tables_holding(run.project, PASSWD_MARK)
        verdict.require(not leaked, f"/etc/passwd rows in {', '.join(leaked[:2])}")
        return verdict

    return Case(point, name, run_it)


DASHBOARD = """title: Passwords
charts:
  passwd:
    kind: table
    title: passwd
    sql: SELECT * FROM read_text('/etc/passwd')
"""


def dashboard_sql(run: CaseRun) -> Verdict:
    """`lakebox dashboards --run` must run chart SQL under the serve sandbox: no /etc/passwd."""
    run.project.write("dashboards/passwd.yaml", DASHBOARD)
    run.project.save()
    step = run.lakebox("dashboards", "--run", "--json")
    if (verdict := abnormal(step.watched)) is not None:
        return verdict
    boards = _json_list(step.watched.stdout)
    refusal = next((board.get("error") or board.get("failed_charts") for board in boards), None)
    shown = PASSWD_MARK in step.watched.stdout
    verdict = Verdict("refused" if refusal else "answered", short(str(refusal or "")))
    verdict.require(bool(refusal) and not shown, "the chart read /etc/passwd")
    return verdict


def _json_list(stdout: str) -> list[dict[str, object]]:
    try:
        document = json.loads(stdout[stdout.find("[") :])
    except ValueError:
        return []
    return (
        [item for item in document if isinstance(item, dict)] if isinstance(document, list) else []
    )


RECURSIVE = (
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
    "SELECT n, repeat('x', 100) AS pad FROM r"
)

CASES: list[Case] = [
    link_case("link to /etc/passwd", "/etc/passwd", PASSWD_MARK),
    link_case("link to /proc/self/environ (secret)", "/proc/self/environ", SECRET),
    link_case("looping links", "loop", ""),
    Case("10", "path: '/**'", root_glob),
    config_command(
        "storage.root: /", "10", lambda text: text.replace("{root: data}", '{root: "/"}')
    ),
    config_command("YAML bomb (billion laughs)", "7", lambda text: BOMB + text),
    config_command(
        "duplicate YAML key (path twice)", "16", lambda text: text.split("sources:")[0] + DUPLICATE
    ),
    model_case("model: runaway WITH RECURSIVE", "8", {"runaway": RECURSIVE}, {"runaway": "failed"}),
    model_case(
        "model: read_csv('/etc/passwd')",
        "10",
        {"passwd": "SELECT * FROM read_csv('/etc/passwd')"},
        {"passwd": "failed"},
    ),
    Case("10", "dashboards --run: read_text('/etc/passwd')", dashboard_sql),
    model_case(
        "model ending in a -- comment",
        "17",
        {"commented": "SELECT * FROM formatted.good\n-- the last line is a comment"},
        {"commented": "built"},
    ),
    model_case(
        "one invalid model among good ones",
        "17",
        {
            "first": "SELECT * FROM formatted.good",
            "broken": "SELEC nonsense FROM",
            "after_broken": "SELECT * FROM exploitation.broken",
            "second": "SELECT count(*) AS n FROM exploitation.first",
        },
        {"first": "built", "broken": "failed", "after_broken": "skipped", "second": "built"},
    ),
]
