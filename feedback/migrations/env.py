"""Alembic environment: runs migrations on a connection handed in by feedback.db.upgrade or on a URL."""

from alembic import context
from sqlalchemy import create_engine

from feedback.models import Base

target_metadata = Base.metadata
config = context.config


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run(conn)
