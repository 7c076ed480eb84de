"""One sync of every account in a fresh interpreter, composed from the environment as a function would be.

Run as `python -m tests.bench.noop_sync_child`; prints one JSON line: what the run did, and the process's
peak RSS (imports, observation, planning, applying and recording included).

The peak is VmHWM, this address space's own high-water mark: on Linux `ru_maxrss` survives execve, so in a
child of a large pytest process it would report the parent's peak instead.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path


def peak_rss_kb() -> int:
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS


def main() -> None:
    from portalsync.bootstrap import build_service

    reports = build_service().sync_all("bench")
    peak_kb = peak_rss_kb()
    json.dump(
        {
            "accounts": len(reports),
            "api_calls": sum(r.run.api_calls for r in reports),
            "changes": sum(sum(r.run.counts.values()) for r in reports),
            "record_writes": sum(r.record_writes for r in reports),
            "errors": [r.run.error for r in reports if r.run.error],
            "peak_rss_kb": peak_kb,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
