"""Start Google's Firestore emulator and the Workspace emulator on free loopback ports, and stop them again.

Used by `portalsync demo` (and the tests' fixtures reuse the jar lookup). Each server runs in its own process
session, so stopping it also stops anything it spawned; `LocalStack` stops what it started even on error.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType

FIRESTORE_JAR_GLOB = "platform/cloud-firestore-emulator/cloud-firestore-emulator*.jar"
PUBSUB_JAR_GLOB = "platform/pubsub-emulator/lib/cloud-pubsub-emulator-*-all.jar"
SDK_ROOTS = ("/usr/lib/google-cloud-sdk", "/usr/share/google-cloud-sdk", "/opt/google-cloud-sdk")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _sdk_roots() -> list[str]:
    roots = list(SDK_ROOTS)
    gcloud = shutil.which("gcloud")
    if gcloud:
        try:
            out = subprocess.run(  # noqa: S603 - fixed argv, gcloud from PATH
                [gcloud, "info", "--format=value(installation.sdk_root)"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            if out.stdout.strip():
                roots.insert(0, out.stdout.strip())
        except (OSError, subprocess.TimeoutExpired):
            pass
    return roots


def _jar(pattern: str, package: str) -> Path:
    for root in _sdk_roots():
        found = sorted(glob.glob(os.path.join(root, pattern)))
        if found:
            return Path(found[-1])
    raise FileNotFoundError(f"emulator jar not found; install {package} (and Java 17+)")


def firestore_jar() -> Path:
    """The Firestore emulator jar of the installed Cloud SDK (the version is globbed, not hard-coded)."""
    return _jar(FIRESTORE_JAR_GLOB, "google-cloud-cli-firestore-emulator")


def pubsub_jar() -> Path:
    return _jar(PUBSUB_JAR_GLOB, "google-cloud-cli-pubsub-emulator")


def pubsub_argv(port: int, jar: Path | None = None) -> list[str]:
    """The Pub/Sub emulator jar directly (gcloud's wrapper would leave the java child behind)."""
    java = shutil.which("java") or "java"
    return [java, "-Xmx256m", "-jar", str(jar or pubsub_jar()), "--host=127.0.0.1", f"--port={port}"]


def functions_argv(target: str, port: int, source: Path) -> list[str]:
    """functions-framework serving one entry point of `functions/main.py`, as Cloud Functions would."""
    framework = Path(sys.executable).with_name("functions-framework")
    return [
        str(framework),
        "--source",
        str(source),
        "--target",
        target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


def firestore_argv(port: int, jar: Path | None = None) -> list[str]:
    return [
        shutil.which("java") or "java",
        "-Xmx512m",
        "-Duser.language=en",
        "-cp",
        str(jar or firestore_jar()),
        "com.google.cloud.datastore.emulator.firestore.CloudFirestore",
        "start",
        "--host=127.0.0.1",
        f"--port={port}",
    ]


def workspace_emulator_argv(port: int) -> list[str]:
    return [sys.executable, "-m", "workspace_emulator", "--host", "127.0.0.1", "--port", str(port)]


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - a loopback http URL
                return
        except urllib.error.HTTPError:
            return  # any HTTP answer means it is up
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


class Process:
    """A server child in its own session; `stop()` ends the whole session (TERM, then KILL)."""

    def __init__(
        self, argv: Sequence[str], ready_url: str, log: Path, env: Mapping[str, str] | None = None
    ) -> None:
        self.log = log
        self._handle = log.open("wb")
        self.proc = subprocess.Popen(  # noqa: S603 - argv built above from fixed parts
            list(argv),
            stdout=self._handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **env} if env else None,
        )
        try:
            wait_http(ready_url, self.proc)
        except BaseException:
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


class LocalStack(AbstractContextManager["LocalStack"]):
    """Both emulators for one `with` block; sets nothing in the environment (the caller decides)."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self._started: list[Process] = []
        self.firestore_host = ""
        self.workspace_url = ""

    def __enter__(self) -> LocalStack:
        try:
            port = free_port()
            self._started.append(
                Process(firestore_argv(port), f"http://127.0.0.1:{port}/", self.log_dir / "firestore.log")
            )
            self.firestore_host = f"127.0.0.1:{port}"
            port = free_port()
            self.workspace_url = f"http://127.0.0.1:{port}/"
            self._started.append(
                Process(workspace_emulator_argv(port), self.workspace_url, self.log_dir / "workspace.log")
            )
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        while self._started:
            self._started.pop().stop()
