"""One storage over pyarrow's filesystems: the same layout on local disk and on S3."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyarrow.fs as pafs

from lakebox.errors import StorageError
from lakebox.storage.s3 import S3Settings

_CHUNK = 4 * 1024 * 1024


class Storage:
    """Reads and writes objects below one root; paths given to it are relative to that root."""

    def __init__(self, root: str, project_dir: Path, s3: S3Settings | None = None) -> None:
        self.is_local = "://" not in root or root.startswith("file://")
        self.s3 = s3 if root.startswith("s3://") else None
        if self.is_local:
            local_root = Path(root.removeprefix("file://"))
            self._root = str((project_dir / local_root).resolve())
            self._fs: pafs.FileSystem = pafs.LocalFileSystem()
        else:
            self._fs, self._root = _remote_filesystem(root, s3 or S3Settings())
        self.root_uri = f"file://{self._root}" if self.is_local else root.rstrip("/")

    def uri(self, relative: str) -> str:
        """Return the full URI of `relative` (file:///… or s3://…)."""
        return f"{self.root_uri}/{relative}" if relative else self.root_uri

    def local_path(self, relative: str) -> Path:
        """Return the local path of `relative`; only for local storage."""
        if not self.is_local:
            raise StorageError(f"{self.uri(relative)} is not on local disk")
        return Path(self._root) / relative

    def exists(self, relative: str) -> bool:
        """Return whether an object exists at `relative`."""
        info = self._fs.get_file_info(self._path(relative))
        return info.type != pafs.FileType.NotFound

    def put(self, local_file: Path, relative: str, *, move: bool = False) -> None:
        """Store `local_file` at `relative`, atomically on local disk (write aside, rename)."""
        try:
            if self.is_local:
                self._put_local(local_file, relative, move=move)
            else:
                self._fs.create_dir(os.path.dirname(self._path(relative)), recursive=True)
                with (
                    local_file.open("rb") as source,
                    self._fs.open_output_stream(self._path(relative)) as target,
                ):
                    shutil.copyfileobj(source, target, _CHUNK)
                if move:
                    local_file.unlink()
        except OSError as error:
            raise StorageError(f"cannot write {self.uri(relative)}: {error}") from error

    def discard_partial(self, relative: str) -> None:
        """Remove what a `put` of `relative` that never finished (a crash) left aside on local
        disk, if anything; the object itself, if it was put, is kept."""
        if self.is_local:
            _aside(Path(self._path(relative))).unlink(missing_ok=True)

    @contextlib.contextmanager
    def as_local_file(self, relative: str) -> Iterator[Path]:
        """Yield a local path holding the object at `relative` (a download for remote storage)."""
        if self.is_local:
            yield self.local_path(relative)
            return
        suffix = Path(relative).suffix
        with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
            with self._fs.open_input_stream(self._path(relative)) as source:
                shutil.copyfileobj(source, handle, _CHUNK)
            handle.flush()
            yield Path(handle.name)

    def delete(self, relative: str) -> None:
        """Remove the object at `relative` if it exists."""
        with contextlib.suppress(FileNotFoundError):
            self._fs.delete_file(self._path(relative))

    def listing(self, relative: str) -> list[tuple[str, int, float]]:
        """Return every object below the folder `relative` (none when it does not exist):
        its path relative to the root, its size and when it was last modified (epoch s)."""
        selector = pafs.FileSelector(self._path(relative), recursive=True, allow_not_found=True)
        return [
            (info.path.removeprefix(self._root + "/"), info.size or 0, info.mtime_ns / 1e9)
            for info in self._fs.get_file_info(selector)
            if info.type == pafs.FileType.File
        ]

    def _path(self, relative: str) -> str:
        return f"{self._root}/{relative}" if relative else self._root

    def _put_local(self, local_file: Path, relative: str, *, move: bool) -> None:
        target = Path(self._path(relative))
        target.parent.mkdir(parents=True, exist_ok=True)
        aside = _aside(target)
        if move:
            shutil.move(local_file, aside)
        else:
            shutil.copyfile(local_file, aside)
        os.replace(aside, target)


def _aside(target: Path) -> Path:
    """Return where a local `put` writes before renaming into `target`."""
    return target.with_name(f".{target.name}.part")


def _remote_filesystem(root: str, s3: S3Settings) -> tuple[pafs.FileSystem, str]:
    if root.startswith("s3://"):
        return s3.filesystem(), root.removeprefix("s3://").rstrip("/")
    try:
        filesystem, path = pafs.FileSystem.from_uri(root)
    except (ValueError, OSError) as error:
        raise StorageError(f"storage root {root!r} is not a supported URI: {error}") from error
    return filesystem, path.rstrip("/")
