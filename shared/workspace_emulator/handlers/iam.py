"""Handlers for iam (to be written)."""
