"""What the cloud knows of an edge agent beyond its ingest row: the birth it last announced and
the config it is expected to run."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.base import Base, UTCDateTime


class AgentState(Base):
    """One row per agent that has announced itself or has an expected config. Whether it is
    online, and the config hash it runs, stay on `EdgeAgent` (ingest reads them too)."""

    __tablename__ = "agent_states"

    agent_id: Mapped[int] = mapped_column(ForeignKey("edge_agents.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    boot: Mapped[int | None] = mapped_column(BigInteger)
    versions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    expected_config_hash: Mapped[str | None] = mapped_column(String(64))
    """What the cloud expects the agent to run; a different reported hash is drift."""
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the last birth or will was received."""
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the agent last went online or offline."""
