"""The cloud web application: REST API under /api/v1, health check, and the web UI."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from cloud.billing.api import router as billing_router
from cloud.db.engine import make_engine, make_sessionmaker
from cloud.energy.api import router as energy_router
from cloud.errors import install_error_handlers
from cloud.identity.api import router as identity_router
from cloud.leasing.api import router as leasing_router
from cloud.leasing.contracts.api import router as contracts_router
from cloud.payments.api import router as payments_router
from cloud.properties.api import router as properties_router
from cloud.settings import Settings
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
        energy_router,
        billing_router,
        workorders_router,
        payments_router,
    ):
        api.include_router(router)
    app.include_router(api)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    if ui:
        from cloud.web.shell import mount_ui  # the UI pulls in NiceGUI; tests of the API skip it

        mount_ui(app, settings=settings, sessions=app.state.sessions)
    return app
