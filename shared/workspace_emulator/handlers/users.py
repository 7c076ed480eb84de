"""Handlers for users (to be written)."""
