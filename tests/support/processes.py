"""Start and stop the local servers the tests need, on free loopback ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float = 30.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError as error:  # refused, or an HTTP error status: both mean "not ready" or "up"
            if hasattr(error, "code"):
                return
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


class Server:
    """A child process in its own session, so stopping it stops its children too."""

    def __init__(
        self, argv: Sequence[str], ready_url: str, log: Path, env: dict[str, str] | None = None
    ) -> None:
        self.log = log
        self._handle = log.open("wb")
        self.proc = subprocess.Popen(
            list(argv),
            stdout=self._handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
        try:
            wait_http(ready_url, proc=self.proc)
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._handle.close()


def start_workspace_emulator(log_dir: Path) -> tuple[Server, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    server = Server(
        [sys.executable, "-m", "workspace_emulator", "--host", "127.0.0.1", "--port", str(port)],
        url,
        log_dir / "workspace-emulator.log",
    )
    return server, url


def start_firestore_emulator(log_dir: Path) -> tuple[Server, str]:
    """Google's Firestore emulator jar (from the installed Cloud SDK); returns the server and host:port."""
    from portalsync.local_stack import firestore_argv

    port = free_port()
    server = Server(firestore_argv(port), f"http://127.0.0.1:{port}/", log_dir / "firestore-emulator.log")
    return server, f"127.0.0.1:{port}"
