"""Alerts reach a real SMTP server and a real HTTP server once per incident, then resolved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from lakebox.catalog import TableRef
from lakebox.lakehouse import Lakehouse
from lakebox.monitoring.alerts import evaluate
from lakebox.monitoring.ledger import ALERTS, load
from lakebox.quality.checks import CheckResult
from lakebox.quality.results import store
from tests.conftest import ProjectFactory
from tests.monitoring.conftest import Hooks, Mailbox, anomaly, commit, write_anomalies

STORES = TableRef("exploitation", "stores")


def _mail(port: int) -> str:
    return f"mailto://127.0.0.1:{port}?from=lakebox@example.com&to=ops@example.com"


def _hook(hooks: Hooks) -> str:
    return f"json://127.0.0.1:{hooks.port}/alerts"


def _project(make_project: ProjectFactory, *channels: str, **alerts: object) -> Lakehouse:
    return make_project(alerts={"channels": list(channels), **alerts})


def test_an_email_per_incident_then_one_when_it_clears(
    make_project: ProjectFactory, mailbox: tuple[Mailbox, int]
) -> None:
    inbox, port = mailbox
    lh = _project(make_project, _mail(port))
    write_anomalies(lh, [anomaly("a1"), anomaly("a2", "critical", "store 8")])

    first = evaluate(lh)
    assert sorted(record.incident_id for record in first.opened) == ["anomaly:a1", "anomaly:a2"]
    assert len(inbox.messages) == 2
    assert any("critical: store_days: store 8" in subject for subject in inbox.subjects)

    write_anomalies(lh, [anomaly("a2", "critical", "store 8")])
    second = evaluate(lh)
    assert [record.incident_id for record in second.resolved] == ["anomaly:a1"]
    assert [record.incident_id for record in second.still_open] == ["anomaly:a2"]
    assert len(inbox.messages) == 3
    assert inbox.subjects[-1].startswith("[lakebox] resolved: store_days: store 7")


def test_a_webhook_per_incident_then_one_when_it_clears(
    make_project: ProjectFactory, hooks: Hooks
) -> None:
    lh = _project(make_project, _hook(hooks), max_age={"exploitation.stores": "1 h"})
    commit(lh, STORES, pa.table({"store_id": [1]}))
    later = datetime.now(UTC) + timedelta(hours=2)

    report = evaluate(lh, now=later)
    assert [record.incident_id for record in report.opened] == ["stale:exploitation.stores"]
    assert len(hooks.bodies) == 1 and "exploitation.stores is stale" in hooks.titles[0]

    assert evaluate(lh).resolved[0].incident_id == "stale:exploitation.stores"
    assert len(hooks.bodies) == 2 and hooks.titles[1].startswith("[lakebox] resolved:")


def test_nothing_changed_sends_nothing_even_from_a_new_process(
    make_project: ProjectFactory, mailbox: tuple[Mailbox, int], hooks: Hooks
) -> None:
    inbox, port = mailbox
    lh = _project(make_project, _mail(port), _hook(hooks))
    write_anomalies(lh, [anomaly("a1")])
    evaluate(lh)
    assert (len(inbox.messages), len(hooks.bodies)) == (1, 1)

    snapshot = lh.catalog.summary(ALERTS)["snapshot_id"]

    again = make_project(alerts=lh.config.alerts.model_dump())  # reopened, as another process
    report = evaluate(again)
    assert (report.opened, report.resolved) == ([], [])
    assert [record.incident_id for record in report.still_open] == ["anomaly:a1"]
    assert (len(inbox.messages), len(hooks.bodies)) == (1, 1)
    assert again.catalog.summary(ALERTS)["snapshot_id"] == snapshot  # nothing committed


def test_a_failing_channel_is_recorded_and_retried(
    make_project: ProjectFactory, mailbox: tuple[Mailbox, int], hooks: Hooks
) -> None:
    inbox, port = mailbox
    lh = _project(make_project, _mail(port), _hook(hooks))
    write_anomalies(lh, [anomaly("a1")])
    hooks.refuse = True

    failed = evaluate(lh)
    assert [incident_id for incident_id, _ in failed.failures] == ["anomaly:a1"]
    record = load(lh)["anomaly:a1"]
    assert record.last_error and f"127.0.0.1:{hooks.port}" in record.last_error
    assert record.notified_at is None
    assert len(inbox.messages) == 1  # the email got through

    hooks.refuse = False
    retried = evaluate(lh)
    assert retried.ok
    assert len(hooks.bodies) == 1 and len(inbox.messages) == 1  # no second email
    record = load(lh)["anomaly:a1"]
    assert record.last_error is None and record.notified_at is not None


def test_anomalies_below_min_severity_are_not_alerted(
    make_project: ProjectFactory, hooks: Hooks
) -> None:
    lh = _project(make_project, _hook(hooks), min_severity="critical")
    write_anomalies(lh, [anomaly("a1", "warn"), anomaly("a2", "critical")])
    assert [record.incident_id for record in evaluate(lh).opened] == ["anomaly:a2"]
    assert len(hooks.bodies) == 1


def test_a_failed_blocking_check_opens_an_alert_and_passing_resolves_it(
    make_project: ProjectFactory, hooks: Hooks
) -> None:
    lh = _project(make_project, _hook(hooks))
    failing = CheckResult("exploitation.stores", "ids_unique", "unique", "error", "fail", 3)
    warning = CheckResult("exploitation.stores", "few_rows", "row_count", "warn", "fail")
    store(lh, "run-1", [failing, warning])
    assert [r.incident_id for r in evaluate(lh).opened] == ["check:exploitation.stores:ids_unique"]

    store(
        lh, "run-2", [CheckResult("exploitation.stores", "ids_unique", "unique", "error", "pass")]
    )
    assert [r.incident_id for r in evaluate(lh).resolved] == [
        "check:exploitation.stores:ids_unique"
    ]
    assert len(hooks.bodies) == 2


def test_a_failed_run_is_alerted_when_ops_runs_exists(
    make_project: ProjectFactory, hooks: Hooks
) -> None:
    lh = _project(make_project, _hook(hooks), on=["runs"])
    assert evaluate(lh).opened == []  # no ops.runs yet: nothing to read
    started = datetime(2026, 3, 2, 10, tzinfo=UTC)
    runs = {
        "run_id": ["r1", "r2"],
        "pipeline": ["hourly", "hourly"],
        "started_at": [started, started + timedelta(hours=1)],
        "ended_at": [started, started + timedelta(hours=1)],
        "status": ["success", "failed"],
        "error": [None, "source api: HTTP 503"],
    }
    commit(lh, TableRef("ops", "runs"), pa.table(runs))
    assert [record.incident_id for record in evaluate(lh).opened] == ["run:hourly"]
    assert "run r2" in hooks.titles[0]


def test_a_dry_run_sends_and_stores_nothing(make_project: ProjectFactory, hooks: Hooks) -> None:
    lh = _project(make_project, _hook(hooks))
    write_anomalies(lh, [anomaly("a1")])
    assert len(evaluate(lh, dry_run=True).opened) == 1
    assert hooks.bodies == [] and load(lh) == {}


def test_a_failed_delivery_keeps_no_secret(make_project: ProjectFactory) -> None:
    from tests.conftest import free_port

    closed = f"json://ops:hunter22@127.0.0.1:{free_port()}/alerts?token=abc123xyz"
    lh = _project(make_project, closed)
    write_anomalies(lh, [anomaly("a1")])
    report = evaluate(lh)
    assert len(report.failures) == 1
    stored = str(lh.query("SELECT * FROM ops.alerts").to_pylist())
    assert "a1" in stored
    assert "hunter22" not in stored + str(report.failures)
    assert "abc123xyz" not in stored + str(report.failures)


def test_two_processes_at_once_send_one_alert(make_project: ProjectFactory, hooks: Hooks) -> None:
    import json
    import subprocess
    import sys

    lh = _project(make_project, _hook(hooks))
    write_anomalies(lh, [anomaly("a1")])
    hooks.delay = 3.0  # the first sender stays inside its evaluation while the second arrives
    command = [sys.executable, "-m", "lakebox.cli", "alerts", "--json", "-p", str(lh.project_dir)]
    processes = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=300) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    opened = [len(json.loads(out)["opened"]) for out, _ in outputs]
    assert sorted(opened) == [0, 1]
    assert len(hooks.bodies) == 1


def test_a_resolved_message_that_failed_is_retried(
    make_project: ProjectFactory, hooks: Hooks
) -> None:
    lh = _project(make_project, _hook(hooks))
    write_anomalies(lh, [anomaly("a1")])
    evaluate(lh)
    write_anomalies(lh, [])
    hooks.refuse = True
    assert len(evaluate(lh).failures) == 1
    assert load(lh)["anomaly:a1"].status == "resolved"

    hooks.refuse = False
    assert evaluate(lh).ok
    assert len(hooks.bodies) == 2 and hooks.titles[1].startswith("[lakebox] resolved:")
    assert evaluate(lh).ok and len(hooks.bodies) == 2
