"""The sharing app (pages for sharing)."""
