"""Start and stop the local servers the tests need, on free loopback ports.

The process handling is the product's own (`portalsync.local_stack`, which `make demo` uses), so tests and
the demo start servers the same way.
"""

from __future__ import annotations

from pathlib import Path

from portalsync.local_stack import Process, firestore_argv, free_port, workspace_emulator_argv

Server = Process

__all__ = ["Server", "free_port", "start_firestore_emulator", "start_workspace_emulator"]


def start_workspace_emulator(log_dir: Path) -> tuple[Server, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    return Server(workspace_emulator_argv(port), url, log_dir / "workspace-emulator.log"), url


def start_firestore_emulator(log_dir: Path) -> tuple[Server, str]:
    """Google's Firestore emulator jar (from the installed Cloud SDK); returns the server and host:port."""
    port = free_port()
    server = Server(firestore_argv(port), f"http://127.0.0.1:{port}/", log_dir / "firestore-emulator.log")
    return server, f"127.0.0.1:{port}"
