"""plan (being written)."""
