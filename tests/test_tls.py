"""Real TLS handshakes against ``hrvault serve --tls-cert --tls-key`` in production mode:
TLS 1.0 and 1.1 and weak TLS 1.2 suites are refused, 1.2 and 1.3 served with HSTS."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import os
import queue
import signal
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hrvault.cli import main
from hrvault.db import DatabaseUrls
from tests.support import PASSWORD, TenantFactory

# These tests configure TLS 1.0 and 1.1 on purpose, to see them refused.
pytestmark = pytest.mark.filterwarnings(r"ignore:ssl\.TLSVersion\.TLSv1(_1)? is deprecated")

OLD_AND_WEAK = "DEFAULT:@SECLEVEL=0"  # lets this client offer what the server must refuse


@dataclass(frozen=True)
class Certificates:
    ca: Path
    cert: Path
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificates(directory: Path) -> Certificates:
    """A throwaway CA and a server certificate for 127.0.0.1, RSA so that the weak
    RSA-key-exchange and CBC suites would be possible if the server allowed them."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("hrvault test CA"))
        .issuer_name(_name("hrvault test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files = Certificates(directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass(frozen=True)
class Server:
    port: int
    certificates: Certificates


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


def _server_environment(database: DatabaseUrls, data_dir: Path) -> dict[str, str]:
    # The data dir holds the session's keys (master, signing, tokens) in both modes; the
    # database URL, when the suite runs against a server, chooses the database.
    env = {k: v for k, v in os.environ.items() if not k.startswith("HRVAULT_")}
    env["HRVAULT_DATA_DIR"] = str(data_dir)
    if os.environ.get("HRVAULT_DATABASE_URL"):
        env["HRVAULT_DATABASE_URL"] = database.owner.render_as_string(hide_password=False)
    return env


@pytest.fixture(scope="module")
def server(database: DatabaseUrls, data_dir: Path, certificates: Certificates) -> Iterator[Server]:
    """``hrvault serve`` over TLS in production mode, as an operator would start it."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
        [
            sys.executable,
            "-m",
            "hrvault.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--tls-cert",
            str(certificates.cert),
            "--tls-key",
            str(certificates.key),
        ],
        env={**_server_environment(database, data_dir), "HRVAULT_ENV": "production"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in process.stderr or ():
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    seen = []
    try:
        while True:
            line = lines.get(timeout=60)
            if line is None:
                pytest.fail("hrvault serve stopped:\n" + "".join(seen))
            seen.append(line)
            if "Uvicorn running on https://" in line:
                break
        yield Server(port, certificates)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
        reader.join(timeout=30)
        if process.stderr is not None:
            process.stderr.close()
    assert code == 0


def client_context(ca: Path, version: ssl.TLSVersion, ciphers: str | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca))
    context.minimum_version = context.maximum_version = version
    if ciphers is not None:
        context.set_ciphers(ciphers)
    elif version < ssl.TLSVersion.TLSv1_2:
        context.set_ciphers(OLD_AND_WEAK)
    return context


def handshake(port: int, context: ssl.SSLContext) -> tuple[str | None, str | None]:
    """Connect and finish a TLS handshake; the version and cipher agreed."""
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        cipher = tls.cipher()
        return tls.version(), cipher[0] if cipher else None


@contextlib.contextmanager
def permissive_server(certificates: Certificates) -> Iterator[int]:
    """A bare TLS server that accepts anything: proof that this machine's client can
    offer what hrvault refuses, so that a refusal means something."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers(OLD_AND_WEAK)
    context.load_cert_chain(certificates.cert, certificates.key)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            connection, _ = listener.accept()
            with contextlib.suppress(ssl.SSLError, OSError), connection:
                context.wrap_socket(connection, server_side=True).close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        with contextlib.suppress(OSError):
            socket.create_connection(listener.getsockname(), timeout=1).close()
        listener.close()


OLD_VERSIONS = [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1]
WEAK_TLS12_SUITES = [
    "AES128-GCM-SHA256",  # no forward secrecy
    "ECDHE-RSA-AES128-SHA",  # CBC with SHA-1
    "ECDHE-RSA-AES128-SHA256",  # CBC, which Python's own defaults still allow
]


@pytest.mark.parametrize("version", OLD_VERSIONS, ids=["1.0", "1.1"])
def test_old_tls_versions_are_refused(server: Server, version: ssl.TLSVersion) -> None:
    context = client_context(server.certificates.ca, version)
    with permissive_server(server.certificates) as control:
        assert handshake(control, context)[0] is not None  # the client can speak it
    with pytest.raises(ssl.SSLError):
        handshake(server.port, context)


@pytest.mark.parametrize("suite", WEAK_TLS12_SUITES)
def test_weak_tls12_suites_are_refused(server: Server, suite: str) -> None:
    context = client_context(server.certificates.ca, ssl.TLSVersion.TLSv1_2, f"{suite}:@SECLEVEL=0")
    with permissive_server(server.certificates) as control:
        assert handshake(control, context)[1] == suite
    with pytest.raises(ssl.SSLError):
        handshake(server.port, context)


@pytest.mark.parametrize(
    ("version", "name"),
    [(ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (ssl.TLSVersion.TLSv1_3, "TLSv1.3")],
)
def test_tls12_and_tls13_are_served_with_hsts(
    server: Server, version: ssl.TLSVersion, name: str
) -> None:
    context = client_context(server.certificates.ca, version)
    agreed, cipher = handshake(server.port, context)
    assert agreed == name
    assert cipher is not None
    assert "GCM" in cipher or "CHACHA20" in cipher
    with httpx.Client(verify=context, base_url=f"https://127.0.0.1:{server.port}") as client:
        response = client.post("/graphql", json={"query": "{ __typename }"})
    assert response.json() == {"data": {"__typename": "Query"}}
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_sessions_over_tls_use_host_prefixed_cookies(
    server: Server, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    context = client_context(server.certificates.ca, ssl.TLSVersion.TLSv1_3)
    login = (
        "mutation($t: String!, $e: String!, $p: String!) {"
        " login(tenant: $t, email: $e, password: $p) { token } }"
    )
    async with httpx.AsyncClient(
        verify=context, base_url=f"https://127.0.0.1:{server.port}"
    ) as client:
        response = await client.post(
            "/graphql",
            json={
                "query": login,
                "variables": {"t": tenant.slug, "e": tenant.email, "p": PASSWORD},
            },
        )
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("__Host-hrvault_session=")
        assert "; secure" in cookie.lower()
        assert "domain=" not in cookie.lower()
        me = await client.post("/graphql", json={"query": "{ me { displayName } }"})
    assert me.json()["data"]["me"]["displayName"] == "First00000 Last00000"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"HRVAULT_ENV": "production"}, "will not serve plain HTTP"),
        ({"HRVAULT_TLS_CERT": "cert.pem"}, "go together"),
        ({"HRVAULT_TLS_CERT": "cert.pem", "HRVAULT_TLS_KEY": "cert.pem"}, "cannot use"),
    ],
    ids=["production-without-tls", "cert-without-key", "not-a-certificate"],
)
def test_serve_refuses_to_start_without_proper_tls(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    extra: dict[str, str],
    message: str,
) -> None:
    for name in list(os.environ):
        if name.startswith("HRVAULT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cert.pem").write_text("not used")
    for name, value in extra.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", "--json"]) == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["code"] == "ConfigError"
    assert message in error["message"]


def test_tls_options_on_the_command_line_are_checked_like_settings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("HRVAULT_ENV", "production")
    missing = tmp_path / "missing.pem"
    assert main(["serve", "--json", "--tls-cert", str(missing), "--tls-key", str(missing)]) == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert "no readable file" in error["message"]
