"""Handlers for roles (to be written)."""
