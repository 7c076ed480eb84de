"""Benchmarks of the functions path reuse the e2e stack (Pub/Sub emulator, functions-framework servers)."""

from tests.e2e.conftest import functions, pubsub_host, stack

__all__ = ["functions", "pubsub_host", "stack"]
