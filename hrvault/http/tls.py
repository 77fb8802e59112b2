"""The TLS hrvault speaks when it serves HTTPS itself: 1.2 or newer, modern suites only.

TLS 1.3 suites are all AEAD with forward secrecy and need no choosing. For TLS 1.2 only
ECDHE key exchange with AES-GCM or ChaCha20-Poly1305 remains (Mozilla's "intermediate"
profile, without finite-field DHE): no CBC, no RSA key exchange, no SHA-1 MACs.
"""

from __future__ import annotations

import ssl

from hrvault.config import ConfigError, TlsFiles

TLS12_CIPHERS = ":".join(
    [
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
    ]
)


def server_tls_context(files: TlsFiles) -> ssl.SSLContext:
    """A server context over ``files``; a bad certificate or key is a ConfigError."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(TLS12_CIPHERS)
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
    try:
        context.load_cert_chain(certfile=files.cert, keyfile=files.key)
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(
            f"HRVAULT_TLS_CERT/HRVAULT_TLS_KEY: cannot use {files.cert} with {files.key}: {exc}"
        ) from None
    return context
