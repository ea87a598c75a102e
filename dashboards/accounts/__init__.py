"""The dashboard's accounts: users, API tokens and the audit log (rules in dashboards.users, SQL in repository)."""
