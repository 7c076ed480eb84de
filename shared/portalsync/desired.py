"""desired (being written)."""
