"""The Returns API: one store of returns, seen through the v3 and the deprecated v2 API."""
