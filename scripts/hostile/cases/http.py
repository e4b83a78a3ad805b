"""Hostile APIs on a local server: bombs, a slow body, loops, a failing page, a redirect to
another origin, an invalid page (points 3, 4, 5, 6, 11, 14)."""

from __future__ import annotations

from scripts.hostile.cases.common import ANY_BOUNDED, HANDLED, run_source
from scripts.hostile.judge import Verdict, counts, tables_holding
from scripts.hostile.runner import API_KEY, Case, CaseRun

PAGED = {"type": "page"}


def api_case(
    point: str,
    name: str,
    route: str,
    allowed: frozenset[str] = HANDLED,
    rows: int | None = None,
    **settings: object,
) -> Case:
    """Return a case pulling `route` of the local API as source `api` beside the good source;
    `rows`: how many records must be formatted (none lost)."""

    def run_it(run: CaseRun) -> Verdict:
        if route == "/bomb":
            run.servers.prepare_bomb(run.settings.bomb_bytes)
        run.project.source(
            "api",
            kind="http",
            url=run.servers.api.origin + route,
            records="data",
            retries=1,
            backoff=0.1,
            **settings,
        )
        run.project.save()
        verdict = run_source(run, "api", allowed)
        if rows is not None:
            got = counts(run.steps[0].report or {}, "api").get("rows_formatted", 0)
            verdict.require(got == rows, f"{got} of {rows} records formatted")
        return verdict

    return Case(point, name, run_it)


def redirect(run: CaseRun) -> Verdict:
    """A 302 to another origin: the X-Api-Key must never reach it, nor land in a table."""
    run.project.source(
        "api",
        kind="http",
        url=run.servers.api.origin + "/redirect",
        records="data",
        retries=0,
        headers={"X-Api-Key": "${HOSTILE_API_KEY}"},
    )
    run.project.save()
    verdict = run_source(run, "api", ANY_BOUNDED)
    sent = [h for h in run.servers.other.headers_seen("/collect") if API_KEY in h.values()]
    verdict.require(not sent, "the X-Api-Key reached the other origin")
    leaked = tables_holding(run.project, API_KEY)
    verdict.require(not leaked, f"the API key landed in {', '.join(leaked[:2])}")
    return verdict


CASES: list[Case] = [
    api_case("3", "HTTP gzip bomb", "/bomb"),
    api_case("3", "HTTP huge plain body", "/big", ANY_BOUNDED),
    api_case(
        "4", "HTTP slow body (1 byte / 5 s)", "/slow", timeout=10, pull_timeout="20s"
    ),  # the default deadline (30 min) is past the harness's cap
    api_case(
        "5",
        "HTTP pagination loop (same cursor)",
        "/loop",
        ANY_BOUNDED,
        pagination={"type": "cursor", "cursor_path": "next"},
    ),
    api_case(
        "6",
        "HTTP 503 on page 4 (partial pull)",
        "/partial",
        ANY_BOUNDED,
        rows=9,
        pagination=PAGED,
        incremental={"cursor": "id", "param": "since"},  # a full pull lands whole or not at all
        key=["id"],
    ),
    Case("11", "HTTP 302 to another origin, X-Api-Key", redirect),
    api_case(
        "14",
        "HTTP invalid page 2 of 3",
        "/invalid",
        frozenset({"quarantined"}),
        rows=6,
        pagination=PAGED,
    ),
]
