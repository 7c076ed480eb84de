"""Assemble the Cloud Functions source bundle: `main.py` at the root, the `portalsync` package beside it
(only what runs in a function), and a `requirements.txt` pinning every distribution that code needs.

The functions runtime installs `requirements.txt` itself, so the bundle carries no third-party code. The CLI,
its demo and the local stack (LOCAL_ONLY_MODULES) never run in a function, so they are left out, and with them
the dependencies only they import (LOCAL_ONLY_DEPENDENCIES: typer, rich). The other dependencies of
`pyproject.toml` are pinned first, in its order: `==` pins copied, a range (`cryptography>=43`) pinned to the
version installed where this script runs, which in Cloud Build is the virtualenv the tests just passed in.
Then everything those require, transitively, for the functions' Python 3.11 on Linux, each at its installed
version: the deploy installs what the tests ran against, not whatever the resolver picks that day. The zip
is byte-for-byte reproducible (sorted entries, fixed timestamps), so Terraform's content-hashed object name
changes only when the code or a pin does.

    python scripts/bundle.py --out build/bundle --zip build/portalsync-functions.zip
"""

from __future__ import annotations

import argparse
import importlib.metadata
import shutil
import sys
import tomllib
import zipfile
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "portalsync"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")

#: Modules of the package that never run in a function: the CLI, `python -m portalsync`, the demo and the
#: local stack of emulators it drives.
LOCAL_ONLY_MODULES = ("__main__.py", "cli.py", "demo.py", "local_functions.py", "local_stack.py")
#: pyproject dependencies that only LOCAL_ONLY_MODULES import.
LOCAL_ONLY_DEPENDENCIES = ("typer", "rich")
#: The functions' runtime (python311 on Linux x86-64), for dependency markers.
RUNTIME_PYTHON = (3, 11)
_RUNTIME_PLATFORM = {
    "os_name": "posix",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}


def _runtime_environment() -> dict[str, str]:
    if sys.version_info[:2] != RUNTIME_PYTHON:
        # The pins are the installed versions, so they must be installed for the runtime's Python.
        raise SystemExit(f"run with Python {'.'.join(map(str, RUNTIME_PYTHON))}, the functions' runtime")
    return {**default_environment(), **_RUNTIME_PLATFORM}


def applies(requirement: Requirement, extras: set[str], environment: dict[str, str]) -> bool:
    """Whether the runtime needs `requirement` of a distribution installed with `extras`."""
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({**environment, "extra": extra}) for extra in {"", *extras})


def installed_version(requirement: Requirement) -> str:
    try:
        version = importlib.metadata.version(requirement.name)
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit(f"{requirement.name} is not installed: run `make venv` first") from None
    if not requirement.specifier.contains(version, prereleases=True):
        raise SystemExit(f"installed {requirement.name} {version} does not satisfy {requirement}")
    return version


def runtime_dependencies(pyproject: Path) -> list[Requirement]:
    """pyproject's dependencies the bundle's code needs, in pyproject order."""
    dependencies: list[str] = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    local_only = {canonicalize_name(name) for name in LOCAL_ONLY_DEPENDENCIES}
    return [r for line in dependencies if canonicalize_name((r := Requirement(line)).name) not in local_only]


def pinned_requirements(pyproject: Path) -> list[str]:
    """`name==version` for each runtime dependency, in pyproject order."""
    pins = []
    for requirement in runtime_dependencies(pyproject):
        exact = [spec.version for spec in requirement.specifier if spec.operator == "=="]
        version = exact[0] if exact else installed_version(requirement)
        extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
        marker = f"; {requirement.marker}" if requirement.marker else ""
        pins.append(f"{requirement.name}{extras}=={version}{marker}")
    return pins


def closure(direct: list[Requirement]) -> dict[str, str]:
    """Every distribution the direct requirements need at run time, transitively: canonical name -> the
    installed version (which must satisfy every requirement on it)."""
    environment = _runtime_environment()
    versions: dict[str, str] = {}
    extras_done: dict[str, set[str]] = {}
    pending = [r for r in direct if applies(r, set(), environment)]
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        versions[name] = installed_version(requirement)
        wanted = set(requirement.extras)
        if name in extras_done and wanted <= extras_done[name]:
            continue
        extras_done[name] = extras_done.get(name, set()) | wanted
        for line in importlib.metadata.requires(requirement.name) or []:
            needed = Requirement(line)
            if applies(needed, extras_done[name], environment):
                pending.append(needed)
    return versions


def requirements_txt(pyproject: Path) -> str:
    direct = pinned_requirements(pyproject)
    names = {canonicalize_name(Requirement(line).name) for line in direct}
    indirect = sorted((n, v) for n, v in closure(runtime_dependencies(pyproject)).items() if n not in names)
    return "\n".join(
        [
            f"# Generated by scripts/bundle.py from {pyproject.name}; do not edit.",
            f"# The dependencies of {pyproject.name} but the CLI's, in its order:",
            *direct,
            "# What they need in turn, at the versions the tests ran against:",
            *(f"{name}=={version}" for name, version in indirect),
            "",
        ]
    )


def build(out: Path, main: Path, pyproject: Path, package_dir: Path) -> None:
    """Write the bundle directory `out`, replacing what was there."""
    if not main.is_file():
        raise SystemExit(f"{main} does not exist: nothing to deploy")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copy2(main, out / "main.py")
    local_only = shutil.ignore_patterns(*LOCAL_ONLY_MODULES)

    def skip(directory: str, entries: list[str]) -> set[str]:
        top = Path(directory) == package_dir  # the local-only modules sit at the package's top level
        return set(_SKIP(directory, entries)) | (set(local_only(directory, entries)) if top else set())

    shutil.copytree(package_dir, out / PACKAGE, ignore=skip)
    (out / "requirements.txt").write_text(requirements_txt(pyproject))


def write_zip(bundle: Path, target: Path) -> None:
    """Zip `bundle` reproducibly: same files and bytes, same archive."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(bundle).as_posix(), date_time=_ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bundle")
    parser.add_argument("--zip", type=Path, help="also write the bundle as this zip (Terraform's bundle_zip)")
    parser.add_argument("--main", type=Path, default=ROOT / "functions" / "main.py")
    parser.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    args = parser.parse_args(argv)
    build(args.out, args.main, args.pyproject, ROOT / "shared" / PACKAGE)
    if args.zip:
        write_zip(args.out, args.zip)
    print(f"bundle: {args.out}" + (f", {args.zip}" if args.zip else ""), file=sys.stderr)


if __name__ == "__main__":
    main()
