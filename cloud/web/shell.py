"""Mounts the NiceGUI web UI (staff console, tenant views) on the cloud's FastAPI app."""

import os
from pathlib import Path

from fastapi import FastAPI
from nicegui import app as nicegui_app
from nicegui import ui
from sqlalchemy.orm import Session, sessionmaker

from cloud.settings import Settings
from cloud.web import dashboard, login, tenant
from cloud.web.auth import WebContext
from cloud.web.i18n import DEFAULT_LANGUAGE, QUASAR_LANGUAGE, translate
from cloud.web.layout import FONT_CSS


def mount_ui(app: FastAPI, *, settings: Settings, sessions: sessionmaker[Session]) -> None:
    """Add the UI pages to `app`. NiceGUI allows this once per process."""
    ctx = WebContext(settings=settings, sessions=sessions)
    _keep_browser_storage_under_var()
    for pages in (login, dashboard, tenant):
        pages.register(ctx)
    ui.add_css(FONT_CSS, shared=True)
    ui.run_with(
        app,
        title=translate("app.title", DEFAULT_LANGUAGE),
        favicon="⚡",
        language=QUASAR_LANGUAGE[DEFAULT_LANGUAGE],  # type: ignore[arg-type]
        storage_secret=settings.secret_key,
        # Mobile browsers drop the websocket when a phone sleeps; give them time to come back.
        reconnect_timeout=10.0,
        show_welcome_message=False,
    )


def _keep_browser_storage_under_var() -> None:
    """Sign-in tokens of browsers go to var/nicegui (git-ignored), not ./.nicegui, unless
    NICEGUI_STORAGE_PATH says where."""
    if "NICEGUI_STORAGE_PATH" in os.environ:
        return
    path = Path("var/nicegui").resolve()
    path.mkdir(parents=True, exist_ok=True)
    type(nicegui_app.storage).path = path
