"""The folders app (pages for folders)."""
