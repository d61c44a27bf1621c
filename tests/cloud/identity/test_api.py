from httpx import AsyncClient

from tests.cloud.factories import PASSWORD, World


async def login(client: AsyncClient, username: str) -> dict[str, str]:
    """Authorization headers for `username`."""
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_login_returns_a_bearer_token_and_the_actor(
    client: AsyncClient, world: World
) -> None:
    response = await client.post(
        "/api/v1/auth/login", json={"username": "acme-tenant", "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["actor"]["username"] == "acme-tenant" and body["actor"]["role"] == "tenant"
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == body["actor"]


async def test_wrong_password_is_401(client: AsyncClient, world: World) -> None:
    response = await client.post(
        "/api/v1/auth/login", json={"username": "acme-admin", "password": "x"}
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "invalid username or password"}


async def test_no_or_bad_token_is_401(client: AsyncClient, world: World) -> None:
    for headers in ({}, {"Authorization": "Bearer nonsense"}):
        response = await client.get("/api/v1/leases", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"


async def test_admin_creates_a_user_and_finance_may_not(client: AsyncClient, world: World) -> None:
    body = {"username": "new-staff", "display_name": "N", "role": "staff", "password": "12345678"}
    finance, admin = await login(client, "acme-finance"), await login(client, "acme-admin")
    denied = await client.post("/api/v1/users", json=body, headers=finance)
    assert denied.status_code == 403
    created = await client.post("/api/v1/users", json=body, headers=admin)
    assert created.status_code == 201 and created.json()["org_id"] == world.org.id
    again = await client.post("/api/v1/users", json=body, headers=admin)
    assert again.status_code == 409
