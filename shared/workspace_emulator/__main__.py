"""`workspace-emulator --host 127.0.0.1 --port PORT [--seed FILE]`: serve the emulator until stopped."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from pathlib import Path

from werkzeug.serving import make_server

from workspace_emulator import control
from workspace_emulator.app import EmulatorApp


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="workspace-emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument(
        "--seed", type=Path, help="JSON file of customers, users, grants, ... to load at start"
    )
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = EmulatorApp()
    if args.seed:
        try:
            control.load_seed(app.emulator, json.loads(args.seed.read_text(encoding="utf-8")))
        except (OSError, ValueError) as error:  # SeedError and invalid JSON are ValueErrors
            parser.error(f"--seed {args.seed}: {error}")
    server = make_server(args.host, args.port, app, threaded=True)
    print(
        f"workspace-emulator listening on http://{args.host}:{server.server_port}/",
        file=sys.stderr,
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
