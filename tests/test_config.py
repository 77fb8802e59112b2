"""Settings are validated at start-up with messages that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from hrvault.buckets import Rate
from hrvault.config import (
    ConfigError,
    Environment,
    GraphQLLimits,
    Secret,
    TlsFiles,
    check_can_serve,
    load_settings,
)
from hrvault.embedded_db import EmbeddedDatabaseError, start_embedded_postgres


def test_defaults_need_no_configuration() -> None:
    settings = load_settings({})
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.database_url is None
    assert settings.port == 8000


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"HRVAULT_PORT": "eighty"}, "HRVAULT_PORT"),
        ({"HRVAULT_PORT": "70000"}, "HRVAULT_PORT"),
        ({"HRVAULT_ENV": "staging"}, "HRVAULT_ENV"),
        ({"HRVAULT_DATABASE_URL": "mysql://x"}, "HRVAULT_DATABASE_URL"),
        ({"HRVAULT_LOG_LEVEL": "chatty"}, "HRVAULT_LOG_LEVEL"),
        ({"HRVAULT_MAX_PAGE_SIZE": "0"}, "HRVAULT_MAX_PAGE_SIZE"),
        ({"HRVAULT_TLS_KEY": "key.pem"}, "HRVAULT_TLS_CERT and HRVAULT_TLS_KEY"),
        ({"HRVAULT_TLS_CERT": "/nonexistent/c", "HRVAULT_TLS_KEY": "/nonexistent/k"}, "CERT"),
        ({"HRVAULT_TRUSTED_PROXIES": "*"}, "HRVAULT_TRUSTED_PROXIES"),
        ({"HRVAULT_TRUSTED_PROXIES": "proxy.internal"}, "HRVAULT_TRUSTED_PROXIES"),
        ({"HRVAULT_CORS_ORIGINS": "*"}, "HRVAULT_CORS_ORIGINS"),
        ({"HRVAULT_CORS_ORIGINS": "https://app.example/path"}, "HRVAULT_CORS_ORIGINS"),
        ({"HRVAULT_CORS_ORIGINS": "http://app.example"}, "HRVAULT_CORS_ORIGINS"),
        (
            {"HRVAULT_ENV": "production", "HRVAULT_CORS_ORIGINS": "http://localhost:3000"},
            "HRVAULT_CORS_ORIGINS",
        ),
        ({"HRVAULT_GRAPHQL_MAX_DEPTH": "0"}, "HRVAULT_GRAPHQL_MAX_DEPTH"),
        ({"HRVAULT_GRAPHQL_MAX_COST": "lots"}, "HRVAULT_GRAPHQL_MAX_COST"),
        ({"HRVAULT_GRAPHQL_TIMEOUT_SECONDS": "0"}, "HRVAULT_GRAPHQL_TIMEOUT_SECONDS"),
        ({"HRVAULT_CREDENTIAL_LIMIT_ACCOUNT": "5"}, "HRVAULT_CREDENTIAL_LIMIT_ACCOUNT"),
        ({"HRVAULT_CREDENTIAL_LIMIT_IP": "0/60"}, "HRVAULT_CREDENTIAL_LIMIT_IP"),
        ({"HRVAULT_REQUEST_LIMIT": "10/-1"}, "HRVAULT_REQUEST_LIMIT"),
        ({"HRVAULT_BODY_TIMEOUT_SECONDS": "0"}, "HRVAULT_BODY_TIMEOUT_SECONDS"),
        ({"HRVAULT_BODY_TIMEOUT_SECONDS": "soon"}, "HRVAULT_BODY_TIMEOUT_SECONDS"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError, match=names):
        load_settings(env)


def test_database_urls_never_show_in_repr() -> None:
    settings = load_settings({"HRVAULT_DATABASE_URL": "postgresql://u:hunter2@db/hr"})
    assert "hunter2" not in repr(settings)
    assert isinstance(settings.database_url, Secret)
    assert settings.database_url.reveal() == "postgresql://u:hunter2@db/hr"


def test_a_data_directory_too_deep_for_a_socket_fails_clearly(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    with pytest.raises(EmbeddedDatabaseError, match="HRVAULT_DATA_DIR to a shorter path"):
        start_embedded_postgres(deep)
    assert not deep.exists()


def test_abuse_settings_are_read(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("c")
    key.write_text("k")
    settings = load_settings(
        {
            "HRVAULT_TLS_CERT": str(cert),
            "HRVAULT_TLS_KEY": str(key),
            "HRVAULT_TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16",
            "HRVAULT_CORS_ORIGINS": "https://App.Example.com, http://localhost:3000",
            "HRVAULT_GRAPHQL_MAX_DEPTH": "8",
            "HRVAULT_GRAPHQL_MAX_ALIASES": "5",
            "HRVAULT_GRAPHQL_MAX_TOKENS": "1000",
            "HRVAULT_GRAPHQL_MAX_DIRECTIVES": "10",
            "HRVAULT_GRAPHQL_MAX_COST": "2000",
            "HRVAULT_GRAPHQL_TIMEOUT_SECONDS": "2.5",
            "HRVAULT_CREDENTIAL_LIMIT_ACCOUNT_ADDRESS": "4/120",
            "HRVAULT_CREDENTIAL_LIMIT_ACCOUNT": "3/600",
            "HRVAULT_CREDENTIAL_LIMIT_IP": "30/60",
            "HRVAULT_CODE_LIMIT_ACCOUNT_ADDRESS": "6/12",
            "HRVAULT_CODE_LIMIT_ACCOUNT": "70/3600",
            "HRVAULT_CODE_LIMIT_IP": "40/300",
            "HRVAULT_REQUEST_LIMIT": "100/10",
            "HRVAULT_BODY_TIMEOUT_SECONDS": "12.5",
        }
    )
    assert settings.tls == TlsFiles(cert=cert, key=key)
    assert settings.trusted_proxies == ("10.0.0.1/32", "192.168.0.0/16")
    assert settings.cors_origins == ("https://app.example.com", "http://localhost:3000")
    assert settings.graphql == GraphQLLimits(8, 5, 1000, 10, 2000, 2.5)
    assert settings.credential_limit_account_address == Rate(4, 120)
    assert settings.credential_limit_account == Rate(3, 600)
    assert settings.credential_limit_ip == Rate(30, 60)
    assert settings.code_limit_account_address == Rate(6, 12)
    assert settings.code_limit_account == Rate(70, 3600)
    assert settings.code_limit_ip == Rate(40, 300)
    assert settings.request_limit == Rate(100, 10)
    assert settings.body_timeout_seconds == 12.5


def test_the_defaults_are_the_documented_limits() -> None:
    settings = load_settings({})
    assert settings.graphql == GraphQLLimits(
        max_depth=10, max_aliases=15, max_tokens=2000, max_directives=50, max_cost=20_000
    )
    assert (settings.tls, settings.trusted_proxies, settings.cors_origins) == (None, (), ())


@pytest.mark.parametrize(
    ("env", "serves"),
    [
        ({}, True),
        ({"HRVAULT_ENV": "production"}, False),
        ({"HRVAULT_ENV": "production", "HRVAULT_TRUSTED_PROXIES": "10.0.0.5"}, True),
    ],
)
def test_production_serves_tls_or_behind_a_named_proxy(env: dict[str, str], serves: bool) -> None:
    settings = load_settings(env)
    if serves:
        check_can_serve(settings)
    else:
        with pytest.raises(ConfigError, match="HRVAULT_TLS_CERT"):
            check_can_serve(settings)
