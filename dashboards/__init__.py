"""The web dashboard: Flask app factory, auth, read-only queries, pages, JSON API (see dashboards.app)."""
