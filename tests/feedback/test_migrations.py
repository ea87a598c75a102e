"""Alembic migrations produce exactly the schema of the SQLAlchemy models, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from feedback.db import current_revision, make_engine, upgrade
from feedback.models import Base


def test_migrations_match_models(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"
    assert current_revision(engine) is not None
    upgrade(engine)  # idempotent
    engine.dispose()
