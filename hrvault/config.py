"""Settings, read once from ``HRVAULT_*`` environment variables and validated at start-up.

A wrong setting stops the process with a message that names the variable, instead of
surfacing later as a confusing failure in the middle of a request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import platformdirs


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Secret:
    """A string that never shows itself in ``repr``, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Settings:
    environment: Environment = Environment.DEVELOPMENT
    database_url: Secret | None = None
    """Owner connection (runs migrations). None starts the embedded PostgreSQL."""
    app_database_url: Secret | None = None
    """Connection for serving requests as the unprivileged role; derived when None."""
    data_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir("hrvault")))
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 1024 * 1024
    max_page_size: int = 100
    db_pool_size: int = 10
    log_level: str = "INFO"
    audit_signing_key_file: Path | None = None
    """Ed25519 key signing audit checkpoints; default ``<data dir>/audit-signing-key.pem``."""
    audit_checkpoint_interval: int = 600
    totp_seed_key_file: Path | None = None
    """Platform secret sealing TOTP seeds; default ``<data dir>/totp-seed-key``."""

    @property
    def signing_key_path(self) -> Path:
        return self.audit_signing_key_file or self.data_dir / "audit-signing-key.pem"

    @property
    def seed_key_path(self) -> Path:
        return self.totp_seed_key_file or self.data_dir / "totp-seed-key"

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION


def _int(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _database_url(env: Mapping[str, str], name: str) -> Secret | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not raw.startswith(("postgresql://", "postgresql+asyncpg://", "postgres://")):
        raise ConfigError(f"{name} must be a postgresql:// URL")
    return Secret(raw)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from the environment; raises ConfigError naming the bad variable."""
    env = os.environ if env is None else env
    raw_env = env.get("HRVAULT_ENV", Environment.DEVELOPMENT.value)
    try:
        environment = Environment(raw_env)
    except ValueError:
        choices = ", ".join(e.value for e in Environment)
        raise ConfigError(f"HRVAULT_ENV must be one of {choices}, got {raw_env!r}") from None
    data_dir_raw = env.get("HRVAULT_DATA_DIR", "").strip()
    key_file = env.get("HRVAULT_AUDIT_SIGNING_KEY_FILE", "").strip()
    seed_key_file = env.get("HRVAULT_TOTP_SEED_KEY_FILE", "").strip()
    defaults = Settings()
    log_level = env.get("HRVAULT_LOG_LEVEL", "INFO").upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(
            f"HRVAULT_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}"
        )
    return Settings(
        environment=environment,
        database_url=_database_url(env, "HRVAULT_DATABASE_URL"),
        app_database_url=_database_url(env, "HRVAULT_APP_DATABASE_URL"),
        data_dir=Path(data_dir_raw).expanduser() if data_dir_raw else defaults.data_dir,
        host=env.get("HRVAULT_HOST", defaults.host),
        port=_int(env, "HRVAULT_PORT", defaults.port, low=1, high=65535),
        max_body_bytes=_int(
            env, "HRVAULT_MAX_BODY_BYTES", defaults.max_body_bytes, low=1024, high=1024**3
        ),
        max_page_size=_int(env, "HRVAULT_MAX_PAGE_SIZE", defaults.max_page_size, low=1, high=1000),
        db_pool_size=_int(env, "HRVAULT_DB_POOL_SIZE", defaults.db_pool_size, low=1, high=200),
        log_level=log_level,
        audit_signing_key_file=Path(key_file).expanduser() if key_file else None,
        audit_checkpoint_interval=_int(
            env, "HRVAULT_AUDIT_CHECKPOINT_INTERVAL", 600, low=0, high=86400
        ),
        totp_seed_key_file=Path(seed_key_file).expanduser() if seed_key_file else None,
    )
