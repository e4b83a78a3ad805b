"""Shared fixtures: fresh lakehouse projects and real database servers."""

from __future__ import annotations

import os
import resource
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import lakebox
from lakebox.lakehouse import Lakehouse

ProjectFactory = Callable[..., Lakehouse]

# Tests write a file and land it at once: no settle time unless a test sets one (and the CLI
# runs they start inherit it). See `sources.<name>.settle` in docs/configuration.md.
os.environ.setdefault("LAKEBOX_SETTLE", "0")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """End the run with its peak memory: the pytest process's own resident set, and the
    largest of the processes it started and waited for (CLI runs, servers)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    terminalreporter.write_line(
        f"peak memory: pytest {own / 2**20:.2f} GiB resident; "
        f"largest child process {children / 2**20:.2f} GiB"
    )


@pytest.fixture
def make_project(tmp_path: Path) -> Iterator[ProjectFactory]:
    """Return a factory: `make_project(sources={...}, **top_level)` → an open Lakehouse."""
    opened: list[Lakehouse] = []

    def factory(
        sources: dict[str, dict] | None = None, folder: str = "project", **settings: object
    ) -> Lakehouse:
        project_dir = tmp_path / folder
        project_dir.mkdir(exist_ok=True)
        document = {
            "name": "test",
            "engine": {"memory_limit": "1GB", "threads": 2},
            **settings,
            "sources": sources or {},
        }
        (project_dir / "lakebox.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
        lh = lakebox.open(project_dir)
        opened.append(lh)
        return lh

    yield factory
    for lh in opened:
        lh.close()


def write_file(folder: Path, name: str, data: bytes | str) -> Path:
    """Write `data` into `folder/name`, creating the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server: LAKEBOX_TEST_POSTGRES_URL, else a throwaway one on a free port."""
    yield from _configured_or_throwaway("LAKEBOX_TEST_POSTGRES_URL", _throwaway_postgres)


def _configured_or_throwaway(variable: str, throwaway: Callable[[], Any]) -> Iterator[str]:
    """Yield the server URL in environment `variable`, else run a throwaway server meanwhile."""
    configured = os.environ.get(variable)
    if configured:
        yield configured
        return
    with throwaway() as url:
        yield url


class _throwaway_postgres:
    def __enter__(self) -> str:
        bindir = _postgres_bindir()
        self.data = Path(tempfile.mkdtemp(prefix="lakebox-pg-"))
        self.bindir = bindir
        port = free_port()
        _as_postgres(
            self.data,
            [
                str(bindir / "initdb"),
                "-D",
                str(self.data / "db"),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
        )
        _as_postgres(
            self.data,
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(self.data / "db"),
                "-l",
                str(self.data / "log"),
                "-w",
                "-o",
                f"-h 127.0.0.1 -p {port} -k {self.data} -c fsync=off",
                "start",
            ],
        )
        return f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"

    def __exit__(self, *exc_info: object) -> None:
        _as_postgres(
            self.data,
            [str(self.bindir / "pg_ctl"), "-D", str(self.data / "db"), "-m", "fast", "-w", "stop"],
        )
        shutil.rmtree(self.data, ignore_errors=True)


def _postgres_bindir() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    pytest.skip("no PostgreSQL server binaries (install Debian's postgresql package)")
    raise AssertionError  # unreachable


def _as_postgres(folder: Path, command: list[str]) -> None:
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="session")
def mysql_url() -> Iterator[str]:
    """A MariaDB (or MySQL) server: LAKEBOX_TEST_MYSQL_URL, else a throwaway MariaDB on a
    free port, started from the installed binaries and stopped by its PID."""
    yield from _configured_or_throwaway("LAKEBOX_TEST_MYSQL_URL", _throwaway_mariadb)


class _throwaway_mariadb:
    def __enter__(self) -> str:
        install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
        server = shutil.which("mariadbd") or _first_existing("/usr/sbin/mariadbd")
        if not install or not server:
            pytest.skip("no MariaDB server binaries (install Debian's mariadb-server package)")
        self.folder = Path(tempfile.mkdtemp(prefix="lakebox-mariadb-"))
        data, run = self.folder / "data", self.folder / "run"
        data.mkdir()
        run.mkdir()
        user = ["--user=mysql"] if os.geteuid() == 0 else []
        if os.geteuid() == 0:
            for path in (self.folder, data, run):
                shutil.chown(path, "mysql", "mysql")
        subprocess.run(
            [install, "--no-defaults", *user, f"--datadir={data}", "--skip-test-db",
             "--auth-root-authentication-method=normal"],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
        port = free_port()
        self.log = (self.folder / "server.log").open("wb")
        self.process = subprocess.Popen(
            [server, "--no-defaults", *user, f"--datadir={data}", f"--socket={run}/my.sock",
             f"--pid-file={run}/my.pid", f"--port={port}", "--bind-address=127.0.0.1",
             "--skip-name-resolve", "--innodb-flush-log-at-trx-commit=0"],
            stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        _wait_for_port(port, self.process)
        return f"mysql://root@127.0.0.1:{port}/mysql"

    def __exit__(self, *exc_info: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _first_existing(*paths: str) -> str | None:
    return next((path for path in paths if Path(path).exists()), None)


def _wait_for_port(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"no server answered on port {port} within {seconds} s")
