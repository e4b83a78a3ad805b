"""What landing one object shares between the one-at-a-time and the bulk paths: where an object
lands, the hash of its staged copy and the manifest entry recorded for it."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from lakebox.catalog.manifest import Entry, Status
from lakebox.lakehouse import LANDING_PREFIX
from lakebox.landing.object_names import stored_path
from lakebox.landing.sources.base import Candidate, Fetched

_CHUNK = 4 * 1024 * 1024


def landed_path(source_name: str, batch_id: str, name: str, moment: datetime) -> str:
    """Return where an object lands: landing/<source>/<yyyy>/<mm>/<dd>/<batch>__<name>."""
    return f"{LANDING_PREFIX}/{source_name}/{moment:%Y/%m/%d}/{batch_id}__{name}"


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def new_entry(
    source_name: str,
    candidate: Candidate,
    staged: Path,
    batch_id: str,
    received: datetime,
    fetched: Fetched,
    name: str | None = None,
) -> Entry:
    """Return the `landing` entry of an object staged at `staged` (hashed here); it lands
    under `name` (by default the staged file's name)."""
    return Entry(
        batch_id=batch_id,
        source=source_name,
        original_path=stored_path(candidate.original_path),
        sha256=sha256_of(staged),
        bytes=staged.stat().st_size,
        received_at=received,
        status=Status.LANDING,
        landed_path=landed_path(source_name, batch_id, name or staged.name, received),
        modified_at=candidate.modified_at,
        cursor=fetched.cursor.to_json() if fetched.cursor else None,
        http_status=fetched.http_status,
        pages=fetched.pages,
        final_url=fetched.final_url,
    )
