"""What most cases share: land hostile files beside the good source, run, judge."""

from __future__ import annotations

from collections.abc import Collection

from scripts.hostile.judge import (
    Step,
    Verdict,
    abnormal,
    check_good_went_on,
    error_line,
    short,
    source_outcome,
)
from scripts.hostile.runner import Case, CaseRun

# A hostile object may end any of these ways: with a reason, and the run going on.
HANDLED = frozenset({"failed", "quarantined", "refused"})
ANY_BOUNDED = frozenset({"failed", "quarantined", "refused", "formatted", "nothing"})


def expect(verdict: Verdict, allowed: Collection[str]) -> Verdict:
    """Require the outcome to be one of `allowed`."""
    if verdict.outcome not in allowed and not verdict.problems:
        verdict.problems.append(f"expected {' or '.join(sorted(allowed))}")
    return verdict


def run_source(run: CaseRun, source: str, allowed: Collection[str] = HANDLED) -> Verdict:
    """Run the whole data path once; judge `source` and that the good source went on."""
    step = run.lakebox("run", "--json")
    verdict = expect(source_outcome(step, source), allowed)
    check_good_went_on(verdict, step)
    return verdict


def files_case(
    point: str,
    name: str,
    files: dict[str | bytes, bytes | str],
    allowed: Collection[str] = HANDLED,
    **settings: object,
) -> Case:
    """Return a case landing `files` (name → bytes) as source `bad` beside the good source."""

    def run_it(run: CaseRun) -> Verdict:
        for file_name, data in files.items():
            prefix = b"exports/bad/" if isinstance(file_name, bytes) else "exports/bad/"
            run.project.write(prefix + file_name, data)  # type: ignore[operator]
        run.project.source("bad", kind="files", path="exports/bad", **settings)
        run.project.save()
        return run_source(run, "bad", allowed)

    return Case(point, name, run_it)


def refused_config(step: Step) -> Verdict:
    """Judge a command on a config that must be refused: a clear error, fast, no traceback."""
    if (verdict := abnormal(step.watched)) is not None:
        return verdict
    if step.watched.returncode != 0:
        return Verdict("refused", short(error_line(step.watched.stderr)))
    return Verdict("accepted", short(step.watched.stdout), ["the config was accepted"])
