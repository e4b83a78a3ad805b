"""What the OpenLineage tests share: a real HTTP receiver on 127.0.0.1 that collects the events
POSTed to it (or answers 500, or never answers), and a check of an event against the vendored
OpenLineage JSON schemas (offline: every `$ref` and `_schemaURL` resolves to a local file)."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

SCHEMAS = Path(__file__).with_name("fixtures") / "openlineage"
ENDPOINT = "/api/v1/lineage"


class Receiver:
    """A Marquez-like receiver: `mode` ok (keep each event, answer 201), fail (answer 500)
    or hang (read the event, then answer nothing until the test ends)."""

    def __init__(self, mode: str = "ok") -> None:
        self.mode = mode
        self.events: list[dict[str, Any]] = []
        self.requests: list[tuple[str, dict[str, str]]] = []  # (path, headers) of every POST
        self.released = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.receiver = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        receiver: Receiver = self.server.receiver  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        receiver.requests.append((self.path, dict(self.headers)))
        if receiver.mode == "hang":
            receiver.released.wait(120)
            return
        if receiver.mode == "fail":
            self.send_response(500)
            self.end_headers()
            return
        receiver.events.append(json.loads(body))
        self.send_response(201)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test's output quiet."""


def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMAS.rglob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


REGISTRY = _registry()
CHECKER = FormatChecker()


@CHECKER.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return "T" in value.upper() and datetime.fromisoformat(value).tzinfo is not None


@CHECKER.checks("uri", raises=ValueError)
def _uri(value: object) -> bool:
    return not isinstance(value, str) or bool(urlsplit(value).scheme)


@CHECKER.checks("uuid", raises=ValueError)
def _uuid(value: object) -> bool:
    return not isinstance(value, str) or bool(UUID(value))


def _validator(reference: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": reference}, registry=REGISTRY, format_checker=CHECKER)


def schema_errors(event: dict[str, Any]) -> list[str]:
    """Return why `event` is not a valid OpenLineage run event: errors against the spec's
    `RunEvent`, and against each facet's own schema (its `_schemaURL`, which must be one of
    the vendored schemas)."""
    root = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
    run_event = _validator(f"{root}#/$defs/RunEvent")
    errors = [error.message for error in run_event.iter_errors(event)]
    if not event.get("schemaURL", "").startswith(root):
        errors.append(f"schemaURL {event.get('schemaURL')!r} is not {root}")
    for where, facet in _facets(event):
        url = facet.get("_schemaURL", "")
        document = url.split("#", 1)[0]
        if document not in {uri for uri in REGISTRY}:
            errors.append(f"{where}: no vendored schema for {url!r}")
            continue
        errors += [f"{where}: {error.message}" for error in _validator(url).iter_errors(facet)]
    return errors


def _facets(event: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = [(f"run.{k}", v) for k, v in event["run"].get("facets", {}).items()]
    found += [(f"job.{k}", v) for k, v in event["job"].get("facets", {}).items()]
    for side in ("inputs", "outputs"):
        for dataset in event.get(side, []):
            for group in ("facets", "inputFacets", "outputFacets"):
                found += [
                    (f"{dataset['name']}.{key}", facet)
                    for key, facet in dataset.get(group, {}).items()
                ]
    return found


def read_events(path: Path) -> list[dict[str, Any]]:
    """Return the events of an NDJSON file, in order."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
