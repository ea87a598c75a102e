"""The nation profile: converting a migrated PostgreSQL database on a Citus coordinator into distributed and
reference tables by the plan of ``feedback.models.distribution``. ``conversion`` checks and plans (``queries`` reads
the catalogs), ``repository`` builds and runs the statements."""

from feedback.citus.conversion import CitusError, Conversion, convert

__all__ = ["CitusError", "Conversion", "convert"]
