"""Handlers for tenant (to be written)."""
