"""Handlers for orgunits (to be written)."""
