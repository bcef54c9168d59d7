"""The inspector page at /__admin/ui."""
