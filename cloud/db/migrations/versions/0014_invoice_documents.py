"""Invoice documents: the org's seller tax details (invoice_sellers) and, on each invoice, the
seller details it was issued with.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-22

Hand-checked against `cloud.models.metadata`; `tests/cloud/db/test_migrations.py` proves the
migrated schema and the models agree on SQLite and PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types of cloud.db.base, spelled out so this file never changes with the models.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
RATIO = sa.Numeric(10, 4)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    t = "invoice_sellers"
    op.create_table(
        t,
        sa.Column("org_id", ID, nullable=False),
        sa.Column("tax_id", sa.String(32), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("bank", sa.String(300), nullable=False),
        sa.Column("tax_rate", RATIO, nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=f"fk_{t}_org_id_orgs"),
        sa.PrimaryKeyConstraint("org_id", name=f"pk_{t}"),
    )
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("seller", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("seller")
    op.drop_table("invoice_sellers")
