"""The cloud web application: REST API under /api/v1, health check, and the web UI."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from cloud.access.api import router as access_router
from cloud.alarms.api import router as alarms_router
from cloud.billing.api import router as billing_router
from cloud.db.engine import make_engine, make_sessionmaker
from cloud.devices.api import router as devices_router
from cloud.energy.api import router as energy_router
from cloud.errors import install_error_handlers
from cloud.identity.api import router as identity_router
from cloud.ingest.api import router as dead_letters_router
from cloud.leasing.api import router as leasing_router
from cloud.leasing.contracts.api import router as contracts_router
from cloud.leasing.imports.api import router as imports_router
from cloud.leasing.leads.api import router as leads_router
from cloud.maintenance.api import router as maintenance_router
from cloud.maintenance.api_inspections import router as inspections_router
from cloud.metrics import install_app_metrics
from cloud.notifications.api import router as notifications_router
from cloud.parking.api import router as parking_router
from cloud.payments.api import router as payments_router
from cloud.properties.api import router as properties_router
from cloud.settings import Settings
from cloud.tenant_services.api import router as tenant_services_router
from cloud.workorders.api import router as workorders_router

API_PREFIX = "/api/v1"


def create_app(settings: Settings, *, ui: bool = True) -> FastAPI:
    """An app on the database of `settings` (already migrated: see `cloud.db.migrate`)."""
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="parkops",
        version="0.1.0",
        summary="Leasing, billing and operations for office parks and street-front shops",
        lifespan=lifespan,
        generate_unique_id_function=lambda route: route.name,  # operationId = handler name
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    install_error_handlers(app)

    api = APIRouter(prefix=API_PREFIX)
    for router in (
        identity_router,
        properties_router,
        leasing_router,
        contracts_router,
        imports_router,
        leads_router,
        energy_router,
        billing_router,
        workorders_router,
        devices_router,
        alarms_router,
        dead_letters_router,
        parking_router,
        access_router,
        notifications_router,
        maintenance_router,
        inspections_router,
        tenant_services_router,
        payments_router,
    ):
        api.include_router(router)
    app.include_router(api)

    install_app_metrics(app, app.state.sessions)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    if ui:
        from cloud.web.shell import mount_ui  # the UI pulls in NiceGUI; tests of the API skip it

        mount_ui(app, settings=settings, sessions=app.state.sessions)
    return app
