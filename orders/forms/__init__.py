"""Forms of the order pages: they validate and convert; the service gets typed values."""
