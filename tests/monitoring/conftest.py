"""Real sinks for alerts (an SMTP server and an HTTP server) and anomalies written to a project."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from aiosmtpd.controller import Controller

from lakebox.analysis.anomalies.store import ANOMALIES, SCHEMA
from lakebox.catalog import TableRef
from lakebox.lakehouse import Lakehouse
from lakebox.tables import commit_batch
from tests.conftest import free_port


class Mailbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"

    @property
    def subjects(self) -> list[str]:
        return [str(message["Subject"]) for message in self.messages]


class Hooks:
    """What a local HTTP server received: every JSON body posted, and whether to refuse."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.bodies: list[dict[str, Any]] = []
        self.refuse = False
        self.delay = 0.0  # seconds each answer waits: holds a sender inside its evaluation

    @property
    def titles(self) -> list[str]:
        return [str(body["title"]) for body in self.bodies]


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    """Yield a real SMTP server on 127.0.0.1 and its port."""
    handler, port = Mailbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    """Yield a real HTTP server on 127.0.0.1 keeping every webhook posted to it."""
    received = Hooks(free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(received.delay)
            if received.refuse:
                self.send_response(500)
            else:
                received.bodies.append(json.loads(body))
                self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", received.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield received
    server.shutdown()
    server.server_close()


def anomaly(incident_id: str, severity: str = "warn", entity: str = "store 7") -> dict[str, Any]:
    """Return one row of `analytics.anomalies`."""
    moment = datetime(2026, 3, 2, 10, tzinfo=UTC)
    return {
        "incident_id": incident_id,
        "rule": "weekday_deviation",
        "rule_name": "store_days",
        "table_name": "exploitation.traffic",
        "entity": entity,
        "ids": json.dumps({"store_id": 7}),
        "ts": datetime(2026, 3, 2),
        "ts_end": datetime(2026, 3, 2),
        "value": 10.0,
        "expected": 100.0,
        "deviation": -0.9,
        "severity": severity,
        "detail": "visitors 90% below the last 4 Mondays",
        "detected_at": moment,
        "last_seen_at": moment,
        "run_id": "r1",
    }


def write_anomalies(lh: Lakehouse, rows: list[dict[str, Any]]) -> None:
    """Replace the content of `analytics.anomalies` by `rows`."""
    commit(lh, ANOMALIES, pa.Table.from_pylist(rows, schema=SCHEMA))


def commit(lh: Lakehouse, ref: TableRef, table: pa.Table) -> None:
    """Commit `table` as the whole content of `ref` (a new snapshot)."""
    batch = f"fixture-{ref.name}-{datetime.now(UTC):%H%M%S%f}"
    path = Path(lh.scratch_dir) / f"{batch}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    commit_batch(lh, ref, path, batch, {}, replace=True)
