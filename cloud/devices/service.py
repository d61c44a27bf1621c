"""The device registry: agents' births and wills, config drift, meters and their last values."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.devices.models import AgentState
from cloud.energy.models import Meter, Reading
from cloud.errors import Invalid, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.ingest.models import EdgeAgent
from cloud.properties.models import Site
from protocols.messages import Status

VIEWERS = (Role.admin, Role.staff, Role.engineer)


@dataclass(frozen=True)
class AgentView:
    agent: EdgeAgent
    site_code: str
    state: AgentState | None

    @property
    def expected_config_hash(self) -> str | None:
        return self.state.expected_config_hash if self.state else None

    @property
    def drift(self) -> bool:
        """The agent runs another config than the cloud expects (unknown counts as drift)."""
        expected = self.expected_config_hash
        return expected is not None and self.agent.config_hash != expected


@dataclass(frozen=True)
class MeterView:
    meter: Meter
    agent_code: str
    last_values: dict[str, tuple[datetime, float]]
    """metric -> (ts, value) of its newest reading."""


def find_agent(session: Session, site_code: str, agent_code: str) -> EdgeAgent | None:
    """The agent a topic names, if exactly one org has it (topics carry no org)."""
    found = session.scalars(
        select(EdgeAgent)
        .join(Site, Site.id == EdgeAgent.site_id)
        .where(Site.code == site_code, EdgeAgent.code == agent_code)
    ).all()
    return found[0] if len(found) == 1 else None


def _state(session: Session, agent: EdgeAgent) -> AgentState:
    state = session.get(AgentState, agent.id)
    if state is None:
        state = AgentState(agent_id=agent.id, org_id=agent.org_id, versions={})
        session.add(state)
    return state


def record_status(*, session: Session, status: Status, received_at: datetime) -> bool:
    """Take an agent's birth or will (system side: no actor); False for an unknown agent.
    Flushes, never commits."""
    agent = find_agent(session, status.site, status.agent)
    if agent is None:
        return False
    state = _state(session, agent)
    if state.changed_at is None or agent.online != status.online:
        state.changed_at = received_at
    agent.online = status.online
    state.status_at = received_at
    if status.online:
        agent.last_seen_at = received_at
        state.boot = status.boot
        state.versions = dict(status.versions)
        if status.config_hash is not None:
            agent.config_hash = status.config_hash
    session.flush()
    return True


def list_agents(*, session: Session, actor: Actor) -> list[AgentView]:
    """The org's agents by code, with their announced state."""
    require_role(actor, *VIEWERS)
    rows = session.execute(
        select(EdgeAgent, Site.code, AgentState)
        .join(Site, Site.id == EdgeAgent.site_id)
        .outerjoin(AgentState, AgentState.agent_id == EdgeAgent.id)
        .where(EdgeAgent.org_id == actor.org_id)
        .order_by(EdgeAgent.code)
    ).all()
    return [AgentView(agent, site_code, state) for agent, site_code, state in rows]


def get_agent(*, session: Session, actor: Actor, code: str) -> AgentView:
    for view in list_agents(session=session, actor=actor):
        if view.agent.code == code:
            return view
    raise NotFound(f"no agent {code}")


def set_expected_config(
    *, session: Session, actor: Actor, code: str, config_hash: str | None
) -> AgentView:
    """Say which config hash the agent should run (None: no expectation, no drift)."""
    require_role(actor, Role.admin)
    if config_hash is not None and not 1 <= len(config_hash) <= 64:
        raise Invalid("a config hash is 1 to 64 characters", field="config_hash")
    view = get_agent(session=session, actor=actor, code=code)
    _state(session, view.agent).expected_config_hash = config_hash
    session.flush()
    return get_agent(session=session, actor=actor, code=code)


def expect_config(*, session: Session, agent: EdgeAgent, config_hash: str) -> None:
    """System side (seeding, deployment): the config `agent` should run from now on."""
    _state(session, agent).expected_config_hash = config_hash
    session.flush()


def drifting_agents(*, session: Session, actor: Actor) -> list[AgentView]:
    return [view for view in list_agents(session=session, actor=actor) if view.drift]


def last_values(
    session: Session, meter_ids: list[int]
) -> dict[int, dict[str, tuple[datetime, float]]]:
    """Newest reading per meter and metric (no actor: callers scope the meters)."""
    if not meter_ids:
        return {}
    newest = (
        select(Reading.device_id, Reading.metric, func.max(Reading.ts).label("ts"))
        .where(Reading.device_id.in_(meter_ids))
        .group_by(Reading.device_id, Reading.metric)
        .subquery()
    )
    rows = session.execute(
        select(Reading.device_id, Reading.metric, Reading.ts, Reading.value).join(
            newest,
            (Reading.device_id == newest.c.device_id)
            & (Reading.metric == newest.c.metric)
            & (Reading.ts == newest.c.ts),
        )
    ).all()
    found: dict[int, dict[str, tuple[datetime, float]]] = {}
    for device_id, metric, ts, value in rows:
        found.setdefault(device_id, {})[metric] = (ts, value)
    return found


def list_meters(*, session: Session, actor: Actor) -> list[MeterView]:
    """The org's meters by code, each with its newest value of every metric."""
    require_role(actor, *VIEWERS)
    rows = session.execute(
        select(Meter, EdgeAgent.code)
        .join(EdgeAgent, EdgeAgent.id == Meter.agent_id)
        .where(Meter.org_id == actor.org_id)
        .order_by(Meter.code)
    ).all()
    values = last_values(session, [meter.id for meter, _ in rows])
    return [MeterView(meter, agent, values.get(meter.id, {})) for meter, agent in rows]


def count_online(session: Session) -> dict[bool, int]:
    """Agents online and offline, all orgs (for metrics)."""
    rows = session.execute(select(EdgeAgent.online, func.count()).group_by(EdgeAgent.online))
    counts = {True: 0, False: 0}
    counts.update({bool(online): n for online, n in rows})
    return counts
