"""Mounts the NiceGUI web UI (staff console, tenant views) on the cloud's FastAPI app."""

from pathlib import Path

from fastapi import FastAPI
from nicegui import ui
from nicegui.storage import Storage
from sqlalchemy.orm import Session, sessionmaker

from cloud.access import web as access_web
from cloud.alarms import web as alarms_web
from cloud.billing import web as billing
from cloud.devices import web as devices_web
from cloud.energy import web as energy_web
from cloud.leasing.contracts import web as contracts
from cloud.leasing.imports import web as imports
from cloud.leasing.leads import web as leads
from cloud.maintenance import web as maintenance
from cloud.maintenance import web_inspections
from cloud.notifications import web as notifications
from cloud.parking import web as parking_web
from cloud.payments import web as payments
from cloud.properties import web as properties_web
from cloud.settings import Settings
from cloud.tenant_services import web as tenant_services
from cloud.web import dashboard, login, tenant
from cloud.web.auth import WebContext
from cloud.web.i18n import DEFAULT_LANGUAGE, QUASAR_LANGUAGE, translate
from cloud.web.layout import FONT_CSS
from cloud.workorders import web as workorders


def mount_ui(app: FastAPI, *, settings: Settings, sessions: sessionmaker[Session]) -> None:
    """Add the UI pages to `app`. NiceGUI allows this once per process."""
    ctx = WebContext(settings=settings, sessions=sessions)
    _keep_browser_storage_in(settings.storage_dir)
    for pages in (
        login,
        dashboard,
        tenant,
        notifications,
        properties_web,
        leads,
        contracts,
        imports,
        billing,
        payments,
        workorders,
        maintenance,
        web_inspections,
        tenant_services,
        energy_web,
        devices_web,
        alarms_web,
        parking_web,
        access_web,
    ):
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


def _keep_browser_storage_in(path: Path) -> None:
    """Browsers' sign-in tokens go to `path` (PARKOPS_STORAGE_DIR), not NiceGUI's ./.nicegui.

    NiceGUI reads its own NICEGUI_STORAGE_PATH only when it is imported, so the path is set on
    `Storage.path`, the documented class attribute NiceGUI's own test fixtures set too.
    """
    path.mkdir(parents=True, exist_ok=True)
    Storage.path = path
