"""The `files` source kind: a local folder or glob of exported files."""

from __future__ import annotations

import glob
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from lakebox.errors import LandingError
from lakebox.landing.sources.base import Candidate, Fetched, SourceContext, register


class FilesSource:
    """Offers every regular file matched by the source's `path` (a folder or a glob)."""

    def __init__(self, context: SourceContext) -> None:
        self.pattern = context.source.path or ""
        self.project_dir = context.lh.project_dir

    def candidates(self) -> Iterator[Candidate]:
        """Yield the matched files in name order."""
        for path in _matches(self.pattern, self.project_dir):
            stat = path.stat()
            yield Candidate(
                original_path=str(path),
                name=path.name,
                bytes=stat.st_size,
                modified_at=datetime.fromtimestamp(stat.st_mtime, UTC),
            )

    def fetch(self, candidate: Candidate, target: Path) -> Fetched:
        """Copy the file into `target`."""
        try:
            shutil.copyfile(candidate.original_path, target)
        except OSError as error:
            raise LandingError(
                f"cannot read {candidate.original_path}: {error.strerror}",
                file=candidate.original_path,
            ) from error
        return Fetched()


register("files")(FilesSource)


def _matches(pattern: str, project_dir: Path) -> list[Path]:
    base = Path(pattern).expanduser()
    base = base if base.is_absolute() else project_dir / base
    if base.is_dir():
        base = base / "**" / "*"
    found = (Path(item) for item in glob.glob(str(base), recursive=True))
    return sorted(path.resolve() for path in found if path.is_file() and not _hidden(path))


def _hidden(path: Path) -> bool:
    return path.name.startswith((".", "~$"))
