"""remedies (being written)."""
