"""Mutation testing of the modules that hold Chorus's rules: ``make mutation MODULES=…``.

mutmut (3.x) runs in a workspace of its own (``.mutation/<modules>/``, a copy of the sources
kept in step with the work tree, one per set of modules), so the work tree never holds mutated
code and a stopped run resumes where it stopped: mutants already decided keep their verdict
unless their function changed.
Survivors are tried again on every run, because the tests may have changed since.

The kill ratio counts a mutant as caught when a test failed or the tests timed out on it
(a mutant that hangs the suite would fail CI just the same). Survivors judged equivalent
(no observable behaviour differs) are listed, with the reason, in ``docs/mutation.md``.
"""

from __future__ import annotations

import argparse
import fcntl
import filecmp
import json
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parent.parent
WORKSPACE = ROOT / ".mutation"
MUTMUT = str(Path(sys.executable).with_name("mutmut"))
RULE_MODULES = [
    "app/content/mix.py",
    "app/content/publisher.py",
    "app/gamification/service.py",
    "app/gamification/leaderboard.py",
    "app/tracking/links.py",
    "app/auth/throttle.py",
]
# What the tests of a domain need beside the code (mutmut copies tests/ and pyproject.toml).
SOURCES = ["app", "migrations", "tests", "alembic.ini", "pyproject.toml"]
CAUGHT = {"killed", "timeout", "caught by type check"}


def module_path(name: str) -> str:
    """``content/mix.py``, ``app/content/mix.py`` or ``app.content.mix``: a file under app/."""
    path = name if name.endswith(".py") else name.replace(".", "/") + ".py"
    path = path if path.startswith("app/") else f"app/{path}"
    if not (ROOT / path).is_file():
        raise SystemExit(f"mutation: no module {path}")
    return path


def tests_for(modules: list[str]) -> list[str]:
    """The tests of each module's domain (``app/content/…`` → ``tests/content``)."""
    dirs = sorted({f"tests/{Path(m).parts[1]}" for m in modules})
    return [d for d in dirs if (ROOT / d).is_dir()] or ["tests"]


def sync(source: Path, target: Path) -> None:
    """Mirror ``source`` into ``target``, rewriting only files whose bytes changed.

    Unchanged files keep their timestamps, so mutmut keeps its verdicts for them.
    """
    if source.is_file():
        if not target.exists() or not filecmp.cmp(source, target, shallow=False):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        return
    target.mkdir(parents=True, exist_ok=True)
    wanted = {p.name for p in source.iterdir() if p.name != "__pycache__"}
    for stale in target.iterdir():
        if stale.name not in wanted and stale.name != "__pycache__":
            shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    for name in sorted(wanted):
        sync(source / name, target / name)


def share_corpora(work: Path) -> None:
    """Tests read ../shared beside the project: link it beside the workspace's copies too
    (the tests run from ``work/`` and, mutated, from ``work/mutants/``)."""
    shared = ROOT.parent / "shared"
    for link in (work.parent / "shared", work / "shared"):
        if shared.is_dir() and not link.exists():
            link.symlink_to(shared, target_is_directory=True)


def configure(work: Path, modules: list[str], tests: list[str]) -> None:
    """The workspace's pyproject.toml gains a [tool.mutmut] section for this run."""
    text = (ROOT / "pyproject.toml").read_text()
    if "[tool.mutmut]" in text:
        raise SystemExit("mutation: pyproject.toml must not carry its own [tool.mutmut]")
    section = "\n".join([
        "",
        "[tool.mutmut]",
        'source_paths = ["app"]',
        f"only_mutate = {json.dumps(modules)}",
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]',
        "",
    ])
    written = text + section
    tomllib.loads(written)
    target = work / "pyproject.toml"
    if not target.exists() or target.read_text() != written:
        target.write_text(written)


def metas(work: Path, modules: list[str]) -> Iterator[tuple[str, Path]]:
    for module in modules:
        meta = work / "mutants" / f"{module}.meta"
        if meta.exists():
            yield module, meta


def retry_survivors(work: Path, modules: list[str]) -> int:
    """Forget the survivors' verdicts, so this run tries them against today's tests."""
    count = 0
    for _, meta in metas(work, modules):
        data = json.loads(meta.read_text())
        codes = data["exit_code_by_key"]
        for key, code in codes.items():
            if code == 0:
                codes[key] = None
                count += 1
        meta.write_text(json.dumps(data, indent=4))
    return count


def verdicts(work: Path, modules: list[str]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {m: {} for m in modules}
    for module, meta in metas(work, modules):
        for key, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            found[module][key] = status_by_exit_code[code]
    return found


def mutmut(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MUTMUT, *args], cwd=work, text=True, capture_output=True,
                          check=False)


def report(work: Path, found: dict[str, dict[str, str]], *, diffs: bool) -> bool:
    """Print the kill ratio per module and each mutant not caught; True when all were tried."""
    columns = ["killed", "timeout", "survived", "no tests", "not checked"]
    print(f"\n{'module':<34} {'mutants':>7}" + "".join(f" {c:>11}" for c in columns)
          + f" {'caught':>7}")
    complete = True
    for module, by_key in found.items():
        counts = Counter(by_key.values())
        total = len(by_key)
        caught = sum(counts[s] for s in CAUGHT)
        complete &= total > 0 and counts["not checked"] == 0
        ratio = f"{caught / total:.1%}" if total else "-"
        print(f"{module:<34} {total:>7}" + "".join(f" {counts[c]:>11}" for c in columns)
              + f" {ratio:>7}")
    for module, by_key in found.items():
        survivors = [k for k, s in by_key.items() if s not in CAUGHT and s != "not checked"]
        if not survivors:
            continue
        print(f"\n{module}: {len(survivors)} not caught")
        for key in survivors:
            print(f"  {key} ({by_key[key]})")
            if diffs:
                shown = mutmut(work, "show", key).stdout.splitlines()
                for line in shown:
                    if line[:1] in "+-" and line[:3] not in ("+++", "---"):
                        print(f"      {line}")
    return complete


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="modules to mutate (default: the rules)")
    parser.add_argument("--tests", nargs="*", help="test paths (default: each module's domain)")
    parser.add_argument("--children", type=int, default=2, help="mutants tried at once")
    parser.add_argument("--report", action="store_true", help="only print the last results")
    parser.add_argument("--fresh", action="store_true", help="forget every earlier verdict")
    args = parser.parse_args()
    modules = [module_path(m) for m in (args.modules or RULE_MODULES)]
    tests = args.tests or tests_for(modules)
    slug = "+".join(m.removeprefix("app/").removesuffix(".py").replace("/", ".")
                    for m in sorted(modules))
    work = WORKSPACE / slug
    work.mkdir(parents=True, exist_ok=True)
    with open(work / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit(f"mutation: another run is using {work}; wait for it") from None
        if args.report:
            report(work, verdicts(work, modules), diffs=True)
            return
        if args.fresh:
            for entry in work.iterdir():
                if entry.name != ".lock":
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        for name in SOURCES:
            sync(ROOT / name, work / name)
        share_corpora(work)
        configure(work, modules, tests)
        retried = retry_survivors(work, modules)
        print(f"mutating {', '.join(modules)}\ntests: {' '.join(tests)}"
              + (f"\n{retried} earlier survivors tried again" if retried else ""), flush=True)
        run = subprocess.run([MUTMUT, "run", "--max-children", str(args.children)], cwd=work,
                             check=False)
        complete = report(work, verdicts(work, modules), diffs=True)
        if run.returncode != 0:
            raise SystemExit(f"mutation: mutmut stopped with exit code {run.returncode}")
        if not complete:
            raise SystemExit("mutation: some mutants were not tried; run it again to resume")


if __name__ == "__main__":
    main()
