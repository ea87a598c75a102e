"""Page blueprints of the dashboard, one module per screen."""
