"""TLS: the certificate and key checked before serving (each wrong file named), the context
both endpoints use, and the HTTP app served over HTTPS by uvicorn as `lakebox serve` does."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from lakebox.errors import ConfigError
from lakebox.serving.app import create_app
from lakebox.serving.tls import server_context
from tests.conftest import free_port
from tests.serving.certificates import Certificate, another_key, self_signed


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return self_signed(tmp_path_factory.mktemp("tls"))


def test_a_certificate_and_its_key_make_a_tls_1_2_context(certificate):
    context = server_context(certificate.cert, certificate.key)
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context.verify_mode == ssl.CERT_NONE  # clients need no certificate of their own


def refused(cert: Path, key: Path) -> str:
    with pytest.raises(ConfigError) as raised:
        server_context(cert, key)
    return str(raised.value)


def test_a_missing_or_unreadable_file_is_named(certificate, tmp_path):
    missing = tmp_path / "nowhere.pem"
    message = refused(missing, certificate.key)
    assert f"cannot read the TLS certificate {missing}" in message and "openssl req" in message
    assert f"cannot read the TLS private key {missing}" in refused(certificate.cert, missing)
    assert f"cannot read the TLS certificate {tmp_path}" in refused(tmp_path, certificate.key)


def test_a_file_that_is_not_pem_is_named(certificate, tmp_path):
    der = tmp_path / "cert.der"
    der.write_bytes(ssl.PEM_cert_to_DER_cert(certificate.cert.read_text()))
    assert f"the TLS certificate {der} is not a PEM certificate" in refused(der, certificate.key)
    swapped = refused(certificate.key, certificate.cert)
    assert f"the TLS certificate {certificate.key} is not a PEM certificate" in swapped
    message = refused(certificate.cert, certificate.cert)
    assert f"the TLS private key {certificate.cert} is not a PEM private key" in message


@pytest.mark.parametrize("kind", ["ec", "rsa"])  # the certificate's type, and another
def test_a_key_of_another_certificate_is_refused(certificate, tmp_path, kind):
    other = another_key(tmp_path, kind=kind)
    message = refused(certificate.cert, other)
    assert f"the TLS private key {other} is not the key of the certificate" in message


def test_an_encrypted_key_is_refused_without_asking_for_its_passphrase(certificate, tmp_path):
    encrypted = another_key(tmp_path, passphrase=b"secret")
    message = refused(certificate.cert, encrypted)
    assert f"the TLS private key {encrypted} is encrypted" in message and "openssl pkey" in message


def test_a_damaged_certificate_is_refused(certificate, tmp_path):
    damaged = tmp_path / "damaged.crt"
    lines = certificate.cert.read_text().splitlines()
    damaged.write_text("\n".join([lines[0], "bm90IGEgY2VydGlmaWNhdGU=", lines[-1]]) + "\n")
    assert f"cannot load the TLS certificate {damaged}" in refused(damaged, certificate.key)


# -- the HTTP app over HTTPS -------------------------------------------------------------------


@pytest.fixture
def lh(make_project):
    return make_project()


@pytest.fixture
def https(lh, certificate) -> Iterator[int]:
    """The app on a real uvicorn over HTTPS (in a thread), as `lakebox serve --tls-cert` runs
    it; yields its port."""
    port = free_port()
    app = create_app(lh, tls=True)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="error",
        ssl_certfile=certificate.cert,
        ssl_keyfile=certificate.key,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    yield port
    server.should_exit = True
    thread.join(timeout=10)


def trusting(certificate: Certificate) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certificate.cert)


def test_the_app_knows_whether_it_is_served_over_tls(lh):
    assert create_app(lh, tls=True).state.tls is True
    assert create_app(lh).state.tls is False


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_the_api_answers_over_https_with_a_verified_certificate(https, certificate, host):
    url = f"https://{host}:{https}/api/sql"
    answer = httpx.post(url, json={"sql": "SELECT 42 AS answer"}, verify=trusting(certificate))
    assert answer.status_code == 200 and "42" in answer.text
    assert answer.headers["x-frame-options"] == "DENY"


def test_plain_http_to_the_https_port_fails_and_the_server_goes_on(https, certificate):
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{https}/api/zones", timeout=10)
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"https://127.0.0.1:{https}/api/zones")  # not a certificate the system trusts
    answer = httpx.get(f"https://127.0.0.1:{https}/api/zones", verify=trusting(certificate))
    assert answer.status_code == 200
