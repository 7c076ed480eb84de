"""service (being written)."""
