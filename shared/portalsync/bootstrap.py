"""The composition root: the only place real clients are built, lazily (being written)."""
