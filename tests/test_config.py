"""Settings are validated at start-up with messages that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from hrvault.config import ConfigError, Environment, Secret, load_settings
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
