"""Settings, read once from ``HRVAULT_*`` environment variables and validated at start-up.

A wrong setting stops the process with a message that names the variable, instead of
surfacing later as a confusing failure in the middle of a request.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

from hrvault.buckets import Rate


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
class TlsFiles:
    """The certificate chain and private key ``hrvault serve`` speaks HTTPS with."""

    cert: Path
    key: Path


@dataclass(frozen=True)
class GraphQLLimits:
    """Bounds on one GraphQL request; a document over any of them never executes."""

    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_directives: int = 50
    max_cost: int = 20_000
    """Fields asked for, with everything under a list multiplied by the most items it can
    hold (its page size or cap): enough for a page of 100 people with their lists, or the
    roles with their grants; not for lists nested in lists nested in lists."""
    timeout_seconds: float = 10.0


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
    master_key: Secret | None = None
    """``HRVAULT_MASTER_KEY``: master key versions given directly (base64); wins over the file."""
    master_key_file: Path | None = None
    """Key file of the ``local`` key provider; None means ``<data dir>/master.key``."""
    key_cache_seconds: int = 300
    """How long a process keeps an unwrapped tenant key before asking the provider again."""
    key_cache_tenants: int = 1000
    """How many tenants' unwrapped keys a process keeps at most."""
    tls: TlsFiles | None = None
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks of proxies whose ``X-Forwarded-Proto/For`` are believed."""
    cors_origins: tuple[str, ...] = ()
    """Browser origins that may call the API with credentials; none by default."""
    graphql: GraphQLLimits = field(default_factory=GraphQLLimits)
    credential_limit_account_address: Rate = field(default_factory=lambda: Rate(5, 300))
    """Password attempts at one account from one client address: 5, then one a minute."""
    credential_limit_account: Rate = field(default_factory=lambda: Rate(100, 86400))
    """Password attempts at one account from anywhere: 100, then one per 864 s (a ceiling
    for guesses spread over many addresses; addresses the owner logged in from escape it)."""
    credential_limit_ip: Rate = field(default_factory=lambda: Rate(50, 300))
    """Password attempts per client address (IPv6: per /64), whatever the account."""
    code_limit_account_address: Rate = field(default_factory=lambda: Rate(5, 10))
    """Second-factor codes at one account from one address: 5, then waits doubling from the
    interval (2 s, 4 s, ...) up to an hour."""
    code_limit_account: Rate = field(default_factory=lambda: Rate(100, 3600))
    """Second-factor codes at one account from anywhere: 100 an hour."""
    code_limit_ip: Rate = field(default_factory=lambda: Rate(50, 300))
    """Second-factor codes per client address, whatever the account."""
    request_limit: Rate = field(default_factory=lambda: Rate(600, 60))
    """GraphQL requests per principal (or per client address before login), per process."""

    partner_token_key_file: Path | None = None
    """HMAC key for partner tokens; default ``<data dir>/partner-token-key``."""
    partner_rate_limit: int = 600
    """Requests per minute one partner token may make (per serving process)."""
    partner_sweep_interval: int = 3600
    """Seconds between sweeps that revoke idle partner tokens (0: only on use)."""
    placement_sweep_interval: int = 3600
    """Seconds between sweeps that make scheduled job and reporting changes current
    (0: only when a request of the tenant first needs them)."""
    totp_seed_key_file: Path | None = None
    """Platform secret sealing staff TOTP seeds (and users' seeds enrolled before they moved
    under the tenant key); default ``<data dir>/totp-seed-key``."""
    files_dir: Path | None = None
    """Where the local file store keeps sealed documents; default ``<data dir>/files``."""
    upload_timeout_seconds: float = 600.0
    """How long the body of one upload may take to arrive (no database connection is held)."""
    body_timeout_seconds: float = 30.0
    """How long any other request body may take to arrive, in all."""

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def master_key_path(self) -> Path:
        return self.master_key_file or self.data_dir / "master.key"

    @property
    def signing_key_path(self) -> Path:
        return self.audit_signing_key_file or self.data_dir / "audit-signing-key.pem"

    @property
    def token_key_path(self) -> Path:
        return self.partner_token_key_file or self.data_dir / "partner-token-key"

    @property
    def seed_key_path(self) -> Path:
        return self.totp_seed_key_file or self.data_dir / "totp-seed-key"

    @property
    def files_path(self) -> Path:
        return self.files_dir or self.data_dir / "files"

    @property
    def upload_spool_path(self) -> Path:
        """Anonymous temporary files of uploads in transit (sealed under throwaway keys)."""
        return self.files_path / ".incoming"


def check_can_serve(settings: Settings) -> None:
    """Production never serves plain HTTP, unless named proxies terminate TLS in front."""
    if settings.is_production and settings.tls is None and not settings.trusted_proxies:
        raise ConfigError(
            "HRVAULT_ENV=production will not serve plain HTTP: give a certificate and key "
            "(HRVAULT_TLS_CERT and HRVAULT_TLS_KEY, or --tls-cert and --tls-key), or list the "
            "proxies that terminate TLS in front of it in HRVAULT_TRUSTED_PROXIES"
        )


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


def _float(env: Mapping[str, str], name: str, default: float, *, low: float, high: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}, got {value:g}")
    return value


def _rate(env: Mapping[str, str], name: str, default: Rate) -> Rate:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    count, slash, seconds = raw.partition("/")
    try:
        if not slash:
            raise ValueError(raw)
        rate = Rate(int(count), float(seconds))
    except ValueError:
        raise ConfigError(
            f"{name} must be COUNT/SECONDS with both positive, like {default}, got {raw!r}"
        ) from None
    return rate


def _list(env: Mapping[str, str], name: str) -> list[str]:
    return [item.strip() for item in env.get(name, "").split(",") if item.strip()]


def _tls(env: Mapping[str, str]) -> TlsFiles | None:
    cert = env.get("HRVAULT_TLS_CERT", "").strip()
    key = env.get("HRVAULT_TLS_KEY", "").strip()
    if not cert and not key:
        return None
    if not cert or not key:
        raise ConfigError(
            "HRVAULT_TLS_CERT and HRVAULT_TLS_KEY (--tls-cert, --tls-key) go together; "
            "only one of them is set"
        )
    files = TlsFiles(cert=Path(cert).expanduser(), key=Path(key).expanduser())
    for name, path in (("HRVAULT_TLS_CERT", files.cert), ("HRVAULT_TLS_KEY", files.key)):
        if not path.is_file():
            raise ConfigError(f"{name}: no readable file at {path}")
    return files


def _trusted_proxies(env: Mapping[str, str]) -> tuple[str, ...]:
    proxies = []
    for item in _list(env, "HRVAULT_TRUSTED_PROXIES"):
        try:
            proxies.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ConfigError(
                "HRVAULT_TRUSTED_PROXIES lists IP addresses or networks (10.0.0.0/8), "
                f"never host names or '*'; got {item!r}"
            ) from None
    return tuple(proxies)


_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _cors_origins(env: Mapping[str, str], environment: Environment) -> tuple[str, ...]:
    """Exact origins only: a wildcard would hand every site the users' credentials."""
    origins = []
    for item in _list(env, "HRVAULT_CORS_ORIGINS"):
        parts = urlsplit(item.lower())
        plain_http_allowed = (
            parts.hostname in _LOOPBACK_HOSTS and environment is not Environment.PRODUCTION
        )
        if (
            not parts.hostname
            or parts.scheme not in {"https", "http"}
            or (parts.scheme == "http" and not plain_http_allowed)
            or parts.path not in {"", "/"}
            or parts.query
            or parts.fragment
            or "@" in parts.netloc
        ):
            raise ConfigError(
                "HRVAULT_CORS_ORIGINS lists exact origins like https://app.example.com "
                "(http only for localhost outside production; no '*', paths or queries); "
                f"got {item!r}"
            )
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return tuple(origins)


def _graphql_limits(env: Mapping[str, str]) -> GraphQLLimits:
    d = GraphQLLimits()
    return GraphQLLimits(
        max_depth=_int(env, "HRVAULT_GRAPHQL_MAX_DEPTH", d.max_depth, low=1, high=100),
        max_aliases=_int(env, "HRVAULT_GRAPHQL_MAX_ALIASES", d.max_aliases, low=0, high=1000),
        max_tokens=_int(env, "HRVAULT_GRAPHQL_MAX_TOKENS", d.max_tokens, low=100, high=100_000),
        max_directives=_int(
            env, "HRVAULT_GRAPHQL_MAX_DIRECTIVES", d.max_directives, low=0, high=1000
        ),
        max_cost=_int(env, "HRVAULT_GRAPHQL_MAX_COST", d.max_cost, low=1, high=10_000_000),
        timeout_seconds=_float(
            env, "HRVAULT_GRAPHQL_TIMEOUT_SECONDS", d.timeout_seconds, low=0.1, high=300
        ),
    )


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
    signing_key_file = env.get("HRVAULT_AUDIT_SIGNING_KEY_FILE", "").strip()
    key_file = env.get("HRVAULT_AUDIT_SIGNING_KEY_FILE", "").strip()
    token_key_file = env.get("HRVAULT_PARTNER_TOKEN_KEY_FILE", "").strip()
    seed_key_file = env.get("HRVAULT_TOTP_SEED_KEY_FILE", "").strip()
    files_dir = env.get("HRVAULT_FILES_DIR", "").strip()
    defaults = Settings()
    log_level = env.get("HRVAULT_LOG_LEVEL", "INFO").upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(
            f"HRVAULT_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}"
        )
    master_key = env.get("HRVAULT_MASTER_KEY", "").strip()
    key_file = env.get("HRVAULT_MASTER_KEY_FILE", "").strip()
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
        audit_signing_key_file=Path(signing_key_file).expanduser() if signing_key_file else None,
        audit_checkpoint_interval=_int(
            env, "HRVAULT_AUDIT_CHECKPOINT_INTERVAL", 600, low=0, high=86400
        ),
        master_key=Secret(master_key) if master_key else None,
        master_key_file=Path(key_file).expanduser() if key_file else None,
        key_cache_seconds=_int(
            env, "HRVAULT_KEY_CACHE_SECONDS", defaults.key_cache_seconds, low=1, high=86400
        ),
        key_cache_tenants=_int(
            env, "HRVAULT_KEY_CACHE_TENANTS", defaults.key_cache_tenants, low=1, high=1_000_000
        ),
        tls=_tls(env),
        trusted_proxies=_trusted_proxies(env),
        cors_origins=_cors_origins(env, environment),
        graphql=_graphql_limits(env),
        credential_limit_account_address=_rate(
            env,
            "HRVAULT_CREDENTIAL_LIMIT_ACCOUNT_ADDRESS",
            defaults.credential_limit_account_address,
        ),
        credential_limit_account=_rate(
            env, "HRVAULT_CREDENTIAL_LIMIT_ACCOUNT", defaults.credential_limit_account
        ),
        credential_limit_ip=_rate(env, "HRVAULT_CREDENTIAL_LIMIT_IP", defaults.credential_limit_ip),
        code_limit_account_address=_rate(
            env, "HRVAULT_CODE_LIMIT_ACCOUNT_ADDRESS", defaults.code_limit_account_address
        ),
        code_limit_account=_rate(env, "HRVAULT_CODE_LIMIT_ACCOUNT", defaults.code_limit_account),
        code_limit_ip=_rate(env, "HRVAULT_CODE_LIMIT_IP", defaults.code_limit_ip),
        request_limit=_rate(env, "HRVAULT_REQUEST_LIMIT", defaults.request_limit),
        partner_token_key_file=Path(token_key_file).expanduser() if token_key_file else None,
        partner_rate_limit=_int(
            env, "HRVAULT_PARTNER_RATE_LIMIT", defaults.partner_rate_limit, low=1, high=100_000
        ),
        partner_sweep_interval=_int(
            env,
            "HRVAULT_PARTNER_SWEEP_INTERVAL",
            defaults.partner_sweep_interval,
            low=0,
            high=86400,
        ),
        placement_sweep_interval=_int(
            env,
            "HRVAULT_PLACEMENT_SWEEP_INTERVAL",
            defaults.placement_sweep_interval,
            low=0,
            high=86400,
        ),
        totp_seed_key_file=Path(seed_key_file).expanduser() if seed_key_file else None,
        files_dir=Path(files_dir).expanduser() if files_dir else None,
        upload_timeout_seconds=_float(
            env,
            "HRVAULT_UPLOAD_TIMEOUT_SECONDS",
            defaults.upload_timeout_seconds,
            low=1,
            high=86400,
        ),
        body_timeout_seconds=_float(
            env,
            "HRVAULT_BODY_TIMEOUT_SECONDS",
            defaults.body_timeout_seconds,
            low=0.1,
            high=3600,
        ),
    )
