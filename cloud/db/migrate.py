"""Run the Alembic migrations programmatically (`parkops db upgrade`, start-up of the demo)."""

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic config for our migrations; the URL travels in attributes, unescaped."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at `database_url` up to `revision` (default: the newest)."""
    command.upgrade(alembic_config(database_url), revision)
