"""Where Sendcloud's production APIs live (kept apart so the CLI can show them without importing requests)."""

PRODUCTION_URL = "https://panel.sendcloud.sc"
PRODUCTION_SERVICE_POINTS_URL = "https://servicepoints.sendcloud.sc"
