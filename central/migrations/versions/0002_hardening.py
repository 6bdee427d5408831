"""hardening: sealed payloads (key id per row), ID-number HMACs, terminal audit, clock skew, shared nonces,
rate buckets and upload leases

Revision ID: 0002_hardening
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_hardening"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("terminals") as batch:
        batch.add_column(sa.Column("clock_skew_s", sa.Float(), nullable=True))
    for table in ("records", "record_versions", "conflicts"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("key_id", sa.String(length=16), nullable=False, server_default=""))
    with op.batch_alter_table("records") as batch:
        batch.alter_column("id_number", type_=sa.String(length=64), existing_type=sa.String(length=18))
    with op.batch_alter_table("roster") as batch:  # sealed values (central.records)
        batch.alter_column("id_number", type_=sa.Text(), existing_type=sa.String(length=18))
        batch.alter_column("name", type_=sa.Text(), existing_type=sa.String(length=50))
    op.create_table(
        "terminal_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("terminal_id", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_terminal_audit_at", "terminal_audit", ["at"])
    op.create_index("ix_terminal_audit_terminal_id", "terminal_audit", ["terminal_id"])
    op.create_table(
        "request_nonces",
        sa.Column("terminal_id", sa.String(length=40), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("terminal_id", "nonce"))
    op.create_index("ix_request_nonces_expires_at", "request_nonces", ["expires_at"])
    op.create_table(
        "rate_buckets",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"))
    op.create_table(
        "upload_leases",
        sa.Column("lease", sa.String(length=60), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("lease"))


def downgrade() -> None:
    op.drop_table("upload_leases")
    op.drop_table("rate_buckets")
    op.drop_table("request_nonces")
    op.drop_table("terminal_audit")
    with op.batch_alter_table("records") as batch:
        batch.alter_column("id_number", type_=sa.String(length=18), existing_type=sa.String(length=64))
    with op.batch_alter_table("roster") as batch:
        batch.alter_column("id_number", type_=sa.String(length=18), existing_type=sa.Text())
        batch.alter_column("name", type_=sa.String(length=50), existing_type=sa.Text())
    for table in ("records", "record_versions", "conflicts"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("key_id")
    with op.batch_alter_table("terminals") as batch:
        batch.drop_column("clock_skew_s")
