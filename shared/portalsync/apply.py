"""apply (being written)."""
