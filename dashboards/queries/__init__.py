"""Read-only queries of the dashboard and the API (one function serves both, bound parameters only)."""
