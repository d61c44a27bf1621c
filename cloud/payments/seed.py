"""The demo's merchant account at the simulated payment gateway `parkops demo` starts."""

from sqlalchemy.orm import Session

from cloud.identity.actor import Actor
from cloud.payments import service
from cloud.payments.models import Channel, PaymentAccount
from cloud.payments.schemas import AccountCreate

DEMO_APP_ID = "wx-parkops-demo"


def seed_demo_account(
    *,
    session: Session,
    admin: Actor,
    finance_username: str,
    gateway_url: str,
    gateway_public_pem: str,
    merchant_private_pem: str,
    notify_base_url: str,
) -> PaymentAccount:
    """A WeChat-shaped account whose payments are posted as the demo's finance user."""
    return service.create_account(
        session=session,
        actor=admin,
        data=AccountCreate(
            code="wechat",
            channel=Channel.wechat,
            app_id=DEMO_APP_ID,
            gateway_url=gateway_url,
            notify_base_url=notify_base_url,
            merchant_private_pem=merchant_private_pem,
            gateway_public_pem=gateway_public_pem,
            posted_by=finance_username,
        ),
    )
