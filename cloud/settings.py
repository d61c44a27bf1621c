"""Cloud configuration from `PARKOPS_*` environment variables or `.env`, read once at start."""

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "parkops-dev-secret-change-me"


class Settings(BaseSettings):
    """Build one with `Settings()` in an entry point and pass it down; nothing reads it at import.

    `secret_key` signs login tokens. The default is for development and the demo only: in
    production set `PARKOPS_SECRET_KEY` to a long random value (`python -c "import secrets;
    print(secrets.token_urlsafe(48))"`), or anyone can forge a token.
    """

    model_config = SettingsConfigDict(env_prefix="PARKOPS_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/parkops.sqlite3"
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    mqtt_protocol: Literal["5", "3.1.1"] = "5"
    mqtt_username: str | None = None
    mqtt_password: str | None = None
    secret_key: str = Field(default=DEV_SECRET_KEY, min_length=16)
    token_max_age_s: int = Field(default=12 * 3600, gt=0)
    timezone: str = "Asia/Shanghai"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65_535)
    storage_dir: Path = Path("var/nicegui")
    """Where the web UI keeps each browser's server-side session (its sign-in token)."""
    files_dir: Path = Path("var/files")
    """Where uploaded files (unit photos, floor plans) are kept, named by their SHA-256."""
    notify_dir: Path = Path("var/notify")
    """Where email and SMS notices are written as JSON lines when no real provider is set."""
    smtp_host: str | None = None
    """Email notices go over SMTP when this is set (else to a file under `notify_dir`)."""
    smtp_port: int = Field(default=25, ge=1, le=65_535)
    smtp_sender: str = "parkops@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False

    @field_validator("storage_dir", "files_dir", "notify_dir")
    @classmethod
    def _absolute(cls, path: Path) -> Path:
        # Resolved once, when the settings are read at start-up: a later chdir changes nothing.
        return path.resolve()
