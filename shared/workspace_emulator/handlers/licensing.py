"""Handlers for licensing (to be written)."""
