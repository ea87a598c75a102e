"""Tests of the dashboard: auth, security, scoping, API, ingestion, CLI and the browser walkthrough."""
