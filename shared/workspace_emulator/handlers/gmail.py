"""Handlers for gmail (to be written)."""
