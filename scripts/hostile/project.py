"""A fresh lakebox project per case: a minimal lakebox.yaml with one good source after the
hostile one, so every case also shows whether the rest of the run went on."""

from __future__ import annotations

import json
import os
from pathlib import Path

GOOD_CSV = "id,name\n1,alpha\n2,beta\n3,gamma\n"
HEADER = """\
name: hostile
storage: {root: data}
catalog: {uri: "sqlite:///.lakebox/catalog.db"}
engine: {memory_limit: 1GB}
models: {path: models, timeout: 20s}  # the default (30 min) is past the harness's cap
"""


class Project:
    """A project folder being written for one case."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sources: dict[str, dict[str, object]] = {
            "good": {"kind": "files", "path": "exports/good"}
        }
        (root / "models").mkdir(parents=True)
        self.write("exports/good/good.csv", GOOD_CSV)

    def write(self, relative: str | bytes, data: str | bytes) -> Path:
        """Write `data` at `relative` (bytes for a name that is not UTF-8); return the path."""
        path = Path(os.fsdecode(os.path.join(os.fsencode(self.root), os.fsencode(relative))))
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode("utf-8")
        path.write_bytes(data)
        return path

    def source(self, name: str, **settings: object) -> None:
        """Declare a source beside `good`."""
        self.sources[name] = settings

    def model(self, name: str, sql: str) -> None:
        self.write(f"models/{name}.sql", sql)

    def config_text(self, extra: str = "") -> str:
        """Return lakebox.yaml: the header, `extra` top-level keys, then the sources (flow maps)."""
        lines = [HEADER + extra, "sources:"]
        # The good source comes last (in the file and by name), so that it shows the run went on
        # past the hostile one.
        order = sorted(self.sources, key=lambda name: name == "good")
        lines += [f"  {name}: {json.dumps(self.sources[name])}" for name in order]
        return "\n".join(lines) + "\n"

    def save(self, extra: str = "") -> None:
        self.write("lakebox.yaml", self.config_text(extra))

    def files_holding(self, needle: bytes) -> list[Path]:
        """Return the files under storage and .lakebox whose raw bytes contain `needle`."""
        found = []
        for folder in (self.root / "data", self.root / ".lakebox"):
            for path in sorted(folder.rglob("*")) if folder.exists() else []:
                if path.is_file() and not path.is_symlink() and _holds(path, needle):
                    found.append(path)
        return found


def _holds(path: Path, needle: bytes, chunk: int = 8 * 1024 * 1024) -> bool:
    """Return whether the file holds `needle`, read in chunks that overlap by its length."""
    tail = b""
    with path.open("rb") as stream:
        while block := stream.read(chunk):
            if needle in tail + block:
                return True
            tail = block[-len(needle) :]
    return False
