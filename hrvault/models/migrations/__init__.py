"""Alembic migrations; ``upgrade_to_head`` is what ``hrvault migrate`` runs."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import URL

MIGRATIONS_DIR = Path(__file__).parent


def alembic_config(owner_url: URL) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["owner_url"] = owner_url
    return config


def upgrade_to_head(owner_url: URL) -> None:
    """Apply every pending migration as the owner role. Safe to run concurrently."""
    command.upgrade(alembic_config(owner_url), "head")
