"""Check that this environment holds exactly the versions a lock file pins.

``make install`` runs it on ``requirements-dev.lock`` after installing (``--sync`` first
removes what an older lock left), so a fresh clone and CI run on the set the lock names and
nothing else; it prints every difference and exits 1. The Docker image installs
``requirements.lock``, the runtime part of the same resolution.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
# pip manages itself; the project is installed editable from the work tree.
UNLOCKED = {"pip", "chorus"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lines: list[str]) -> dict[str, str]:
    found = {}
    for line in lines:
        match = PIN.match(line.strip())
        if match and normalise(match[1]) not in UNLOCKED:
            found[normalise(match[1])] = match[2]
    return found


def installed() -> dict[str, str]:
    frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--all", "--exclude-editable"],
                            capture_output=True, text=True, check=True).stdout
    return pins(frozen.splitlines())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock", nargs="?", type=Path, default=ROOT / "requirements-dev.lock")
    parser.add_argument("--sync", action="store_true", help="uninstall what the lock lacks")
    args = parser.parse_args()
    lock = pins(args.lock.read_text().splitlines())
    present = installed()
    extra = sorted(present.keys() - lock.keys())
    if extra and args.sync:
        # Left over from an older lock: an environment holds what the lock names, no more.
        subprocess.run([sys.executable, "-m", "pip", "uninstall", "--quiet", "--yes", *extra],
                       check=True)
        present = installed()
    differences = [
        f"  {name}: locked {lock.get(name, '-')}, installed {present.get(name, '-')}"
        for name in sorted(lock.keys() | present.keys())
        if lock.get(name) != present.get(name)
    ]
    if differences:
        print(f"The environment differs from {args.lock.name}:", *differences, sep="\n")
        raise SystemExit(1)
    print(f"{len(lock)} packages, exactly as {args.lock.name} pins them")


if __name__ == "__main__":
    main()
