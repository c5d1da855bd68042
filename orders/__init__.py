"""The orders app (pages for orders)."""
