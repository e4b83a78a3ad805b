"""`lakebox serve` and `lakebox pg` as a user runs them: a busy port, a short token for
another address, and the Host names the server answers."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import lakebox
from tests.conftest import free_port
from tests.serving.certificates import Certificate, self_signed


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def refused_clearly(result: subprocess.CompletedProcess[str], option: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "is in use by another program" in result.stderr and option in result.stderr
    assert "Traceback" not in result.stderr and "serving" not in result.stdout


def test_serve_on_a_busy_port_says_so_before_serving(ran, busy_port):
    result = lakebox("serve", "--port", str(busy_port), "--no-scheduler", cwd=ran)
    refused_clearly(result, "--port")


def test_pg_on_a_busy_port_says_so_before_serving(ran, busy_port):
    refused_clearly(lakebox("pg", "--port", str(busy_port), cwd=ran), "--port")


def test_serve_with_a_busy_pg_port_says_which_option(ran, busy_port):
    args = ("serve", "--port", str(free_port()), "--pg-port", str(busy_port), "--no-scheduler")
    refused_clearly(lakebox(*args, cwd=ran), "--pg-port")


def with_token(token: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return lakebox(*args, cwd=cwd, env={**os.environ, "LAKEBOX_TOKEN": token})


@pytest.mark.parametrize("command", ["serve", "pg"])
def test_another_address_refuses_a_short_token(ran, command):
    result = with_token("x", command, "--host", "0.0.0.0", "--port", str(free_port()), cwd=ran)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "at least 32" in result.stderr and "secrets.token_urlsafe(32)" in result.stderr


def test_serve_answers_its_own_and_the_allowed_hosts_only(ran):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "lakebox.cli", "serve", "--port", str(port), "--no-scheduler",
         "--allowed-host", "lakebox.test"],
        cwd=ran, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api/zones"
    try:
        assert answer(url, server).status_code == 200
        allowed = httpx.get(url, headers={"Host": "lakebox.test"}, timeout=10)
        assert allowed.status_code == 200 and allowed.headers["x-frame-options"] == "DENY"
        rebound = httpx.get(url, headers={"Host": "rebound.evil.example"}, timeout=10)
        assert rebound.status_code == 421
    finally:
        server.terminate()
        server.wait(timeout=30)


def answer(url: str, process: subprocess.Popen[bytes]) -> httpx.Response:
    """Return the first HTTP answer of `url` from the server `process` is starting."""
    import time

    deadline = time.monotonic() + 60
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            assert time.monotonic() < deadline and process.poll() is None, process.stderr
            time.sleep(0.3)


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("serve", "--port", "99999", "--no-scheduler"), "--port"),
        (("serve", "--port", "-1", "--no-scheduler"), "--port"),
        (("serve", "--port", "18934", "--pg-port", "70000", "--no-scheduler"), "--pg-port"),
        (("pg", "--port", "70000"), "--port"),
        (("pg", "--port", "0"), "--port"),
        (("demo", "demo-project", "--port", "65536"), "--port"),
    ],
)
def test_a_port_out_of_range_is_refused_plainly(tmp_path, args, option):
    result = lakebox(*args, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert f"{option} must be 1–65535" in result.stderr
    assert "Traceback" not in result.stderr and "serving" not in result.stdout
    assert not (tmp_path / "demo-project").exists()  # refused before building anything


def test_serve_with_the_same_port_twice_says_they_must_differ(tmp_path):
    port = str(free_port())
    result = lakebox("serve", "--port", port, "--pg-port", port, "--no-scheduler", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "--port and --pg-port must differ" in result.stderr
    assert "in use" not in result.stderr and "Traceback" not in result.stderr


# -- TLS ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return self_signed(tmp_path_factory.mktemp("tls"))


def refused_before_serving(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 1, result.stderr
    assert all(text in result.stderr for text in expected), result.stderr
    assert "Traceback" not in result.stderr and "serving" not in result.stdout


@pytest.mark.parametrize("command", ["serve", "pg"])
def test_tls_needs_both_the_certificate_and_the_key(ran, certificate, command):
    port = ("--port", str(free_port()))
    alone = lakebox(command, *port, "--tls-cert", str(certificate.cert), cwd=ran)
    refused_before_serving(alone, "--tls-cert needs --tls-key")
    alone = lakebox(command, *port, "--tls-key", str(certificate.key), cwd=ran)
    refused_before_serving(alone, "--tls-key needs --tls-cert")


@pytest.mark.parametrize("command", ["serve", "pg"])
def test_a_wrong_tls_file_is_named_before_the_port_is_bound(ran, certificate, busy_port, command):
    missing = ran / "missing.crt"
    tls = ("--tls-cert", str(missing), "--tls-key", str(certificate.key))
    result = lakebox(command, "--port", str(busy_port), *tls, cwd=ran)
    refused_before_serving(result, f"cannot read the TLS certificate {missing}")
    assert "in use" not in result.stderr
    tls = ("--tls-cert", str(certificate.cert), "--tls-key", str(certificate.cert))
    result = lakebox(command, "--port", str(free_port()), *tls, cwd=ran)
    refused_before_serving(result, f"{certificate.cert} is not a PEM private key")


def started(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lakebox.cli", *args],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def stopped(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.terminate()
    return process.communicate(timeout=30)


def pg_answers(conninfo: str, process: subprocess.Popen[str]) -> bool:
    """Wait until the pg endpoint `process` is starting answers over TLS; return whether the
    connection was encrypted."""
    import time

    import psycopg

    deadline = time.monotonic() + 60
    while True:
        try:
            with psycopg.connect(conninfo, connect_timeout=5) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
                return conn.info.pgconn.ssl_in_use
        except psycopg.OperationalError as error:
            assert time.monotonic() < deadline and process.poll() is None, error
            time.sleep(0.3)


def test_serve_with_tls_serves_https_and_pg_over_tls(ran, certificate):
    import psycopg

    port, pg_port = free_port(), free_port()
    tls = ("--tls-cert", str(certificate.cert), "--tls-key", str(certificate.key))
    server = started(
        "serve", "--port", str(port), "--pg-port", str(pg_port), "--no-scheduler", *tls, cwd=ran
    )
    pg = f"host=localhost port={pg_port} dbname=lakebox user=me"
    try:
        assert pg_answers(f"{pg} sslmode=verify-full sslrootcert={certificate.cert}", server)
        trusted = ssl.create_default_context(cafile=certificate.cert)
        answer = httpx.get(f"https://127.0.0.1:{port}/api/zones", verify=trusted, timeout=10)
        assert answer.status_code == 200
        with pytest.raises(psycopg.OperationalError, match="requires TLS"):
            psycopg.connect(f"{pg} sslmode=disable")
    finally:
        out, _ = stopped(server)
    assert f"at https://127.0.0.1:{port}" in out
    assert f"postgresql://127.0.0.1:{pg_port}/lakebox?sslmode=require" in out


def test_pg_with_tls_serves_psql_over_tls(ran, certificate):
    port = free_port()
    tls = ("--tls-cert", str(certificate.cert), "--tls-key", str(certificate.key))
    server = started("pg", "--port", str(port), *tls, cwd=ran)
    url = f"postgresql://me@127.0.0.1:{port}/lakebox?sslmode=require"
    try:
        assert pg_answers(f"host=127.0.0.1 port={port} dbname=lakebox sslmode=require", server)
        if shutil.which("psql"):
            shown = subprocess.run(
                ["psql", url, "-At", "-c", "SELECT 40 + 2"],
                capture_output=True, text=True, timeout=60, check=True,
            )  # fmt: skip
            assert shown.stdout.strip() == "42"
    finally:
        out, _ = stopped(server)
    assert f"postgresql://127.0.0.1:{port}/lakebox?sslmode=require" in out
