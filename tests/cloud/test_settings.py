from pathlib import Path

import pytest
from pydantic import ValidationError

from cloud.settings import Settings


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    settings = Settings()
    assert settings.database_url == "sqlite:///var/parkops.sqlite3"
    assert (settings.mqtt_url, settings.mqtt_protocol) == ("mqtt://127.0.0.1:1883", "5")
    assert (settings.http_host, settings.http_port, settings.timezone) == (
        "127.0.0.1",
        8000,
        "Asia/Shanghai",
    )


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("PARKOPS_HTTP_PORT=9001\nPARKOPS_MQTT_PROTOCOL=3.1.1\n")
    monkeypatch.setenv("PARKOPS_DATABASE_URL", "postgresql://db/parkops")
    settings = Settings()
    assert settings.database_url == "postgresql://db/parkops"
    assert (settings.http_port, settings.mqtt_protocol) == (9001, "3.1.1")


def test_mqtt_protocol_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARKOPS_MQTT_PROTOCOL", "4")
    with pytest.raises(ValidationError, match="mqtt_protocol"):
        Settings()


def test_storage_dir_is_absolute_from_start_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings().storage_dir == tmp_path / "var" / "nicegui"
    monkeypatch.setenv("PARKOPS_STORAGE_DIR", "sessions")
    settings = Settings()
    monkeypatch.chdir("/")  # a later change of directory does not move it
    assert settings.storage_dir == tmp_path / "sessions"
