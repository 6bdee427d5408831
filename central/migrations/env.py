"""Alembic environment: run programmatically by central.db.migrate() with a live connection in attributes."""
from alembic import context

from central.models import Base

config = context.config
connection = config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
