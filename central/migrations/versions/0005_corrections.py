"""corrections: an approved correction's delivery to the record's terminal

Revision ID: 0005_corrections
Revises: 0004_roster
Create Date: 2026-12-01 13:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_corrections'
down_revision = '0004_roster'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('console_corrections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('delivery', sa.String(length=10), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('delivery_code', sa.String(length=20), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('console_corrections', schema=None) as batch_op:
        batch_op.drop_column('delivery_code')
        batch_op.drop_column('delivery')
        batch_op.drop_column('delivered_at')
