"""roster parts for terminals: return-to-hukou lists, school password keys, password fingerprints

Revision ID: 0004_roster
Revises: 0003_console
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_roster'
down_revision = '0003_console'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('return_candidates',
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('id_number', sa.String(length=64), nullable=False),
    sa.Column('entry', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('county_code', 'id_number')
    )
    op.create_table('school_keys',
    sa.Column('school_code', sa.String(length=20), nullable=False),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('school_code')
    )
    op.create_table('password_fingerprints',
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('school_code', sa.String(length=20), nullable=False),
    sa.Column('id_number', sa.String(length=64), nullable=False),
    sa.Column('student', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('record_id')
    )
    with op.batch_alter_table('password_fingerprints', schema=None) as batch_op:
        batch_op.create_index('password_fingerprints_school', ['school_code', 'fingerprint'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('password_fingerprints', schema=None) as batch_op:
        batch_op.drop_index('password_fingerprints_school')
    op.drop_table('password_fingerprints')
    op.drop_table('school_keys')
    op.drop_table('return_candidates')
