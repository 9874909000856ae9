"""Builds the Function App's deployment zip: what the Functions host needs at run time, nothing else.

    python3 infra/package.py [--output dist/syncwatch.zip]

The zip holds function_app.py, host.json, requirements.txt and the `shared` package. Flex Consumption installs
requirements.txt with a remote build when the zip is published (docs/deploy.md).

Left out, because the Function never imports them:
- tests/, tools/, scripts/, infra/, docs/ and every dev file;
- shared/simulator/ (the Graph simulator, Azurite launcher and Teams sink) and shared/demo.py, which imports them.
  Only the CLI's `demo` command reaches shared.demo, lazily; the timer function reaches neither.
  tests/infra/test_package.py imports every module of the built zip on its own to prove it.
- local.settings*.json (local secrets), caches and compiled files.

The zip is reproducible: entries are sorted, with fixed timestamps and permissions.
Standard library only, so it runs before any venv exists.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "dist" / "syncwatch.zip"
ROOT_FILES = ("function_app.py", "host.json", "requirements.txt")
PACKAGE = "shared"
# Paths inside `shared` the Function does not need at run time (relative, POSIX style).
EXCLUDED = ("shared/simulator/", "shared/demo.py")
SKIPPED_PARTS = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
SKIPPED_SUFFIXES = {".pyc", ".pyo"}
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can record


def package_files(root: Path = REPO_ROOT) -> list[str]:
    """Every path that goes into the zip, relative to the repo root, sorted."""
    missing = [name for name in ROOT_FILES if not (root / name).is_file()]
    if missing:
        raise FileNotFoundError(f"missing from {root}: {', '.join(missing)}")
    return sorted([*ROOT_FILES, *_package_members(root)])


def build(output: Path = DEFAULT_OUTPUT, root: Path = REPO_ROOT) -> list[str]:
    """Writes the zip; returns the paths it holds."""
    names = package_files(root)
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
            archive.writestr(info, (root / name).read_bytes())
    return names


def _package_members(root: Path) -> Iterator[str]:
    for path in (root / PACKAGE).rglob("*"):
        relative = path.relative_to(root).as_posix()
        if not path.is_file() or SKIPPED_PARTS.intersection(path.parts) or path.suffix in SKIPPED_SUFFIXES:
            continue
        if path.name.startswith("local.settings") or relative.startswith(EXCLUDED):
            continue
        yield relative


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Function App's deployment zip.")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help=f"zip to write (default: {DEFAULT_OUTPUT})")
    args = parser.parse_args(argv)
    names = build(args.output.resolve())
    print(f"{args.output}: {len(names)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
