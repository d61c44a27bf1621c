"""The demo's leads: one at each stage, so the funnel shows; seeding again adds none."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.identity import service as identity_service
from cloud.leasing.leads import reports
from cloud.leasing.leads.models import Lead
from cloud.seed import seed_demo
from tests.cloud.test_seed import demo_site


def test_the_demo_has_leads_at_every_stage(session: Session) -> None:
    logins = seed_demo(session=session, site=demo_site())
    seed_demo(session=session, site=demo_site())
    assert session.scalar(select(func.count()).select_from(Lead)) == 5
    admin = next(login for login in logins if login.role == "admin")
    actor = identity_service.authenticate(
        session=session, username=admin.username, password=admin.password
    )
    report = reports.lead_report(session=session, actor=actor)
    assert [step.reached for step in report.funnel] == [5, 4, 2, 1, 0]
    assert report.lost_reasons == {"price": 1}
