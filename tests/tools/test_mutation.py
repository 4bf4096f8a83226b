"""tools/mutation.py: the workspace it keeps for mutmut, and how it reads the verdicts."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest

from tools import mutation


def test_modules_are_named_as_paths_or_dotted_names() -> None:
    assert mutation.module_path("content/mix.py") == "app/content/mix.py"
    assert mutation.module_path("app/content/mix.py") == "app/content/mix.py"
    assert mutation.module_path("app.auth.throttle") == "app/auth/throttle.py"
    assert mutation.module_path("auth.throttle") == "app/auth/throttle.py"
    with pytest.raises(SystemExit, match="no module app/content/nothing.py"):
        mutation.module_path("content/nothing.py")


def test_each_module_is_tried_against_its_domains_tests() -> None:
    assert mutation.tests_for(["app/content/mix.py", "app/content/publisher.py",
                               "app/auth/throttle.py"]) == ["tests/auth", "tests/content"]


def test_sync_rewrites_only_what_changed_and_drops_what_went(tmp_path: Path) -> None:
    source, target = tmp_path / "src", tmp_path / "dst"
    (source / "pkg").mkdir(parents=True)
    (source / "pkg" / "same.py").write_text("a = 1\n")
    (source / "pkg" / "edited.py").write_text("b = 1\n")
    (source / "gone.py").write_text("c = 1\n")
    mutation.sync(source, target)
    os.utime(target / "pkg" / "same.py", (1_000_000, 1_000_000))
    (source / "pkg" / "edited.py").write_text("b = 2\n")
    (source / "gone.py").unlink()
    mutation.sync(source, target)
    assert (target / "pkg" / "same.py").stat().st_mtime == 1_000_000
    assert (target / "pkg" / "edited.py").read_text() == "b = 2\n"
    assert not (target / "gone.py").exists()


def test_the_workspace_config_names_the_modules_and_tests(tmp_path: Path) -> None:
    mutation.configure(tmp_path, ["app/content/mix.py"], ["tests/content"])
    config = tomllib.loads((tmp_path / "pyproject.toml").read_text())["tool"]["mutmut"]
    assert config["only_mutate"] == ["app/content/mix.py"]
    assert config["pytest_add_cli_args_test_selection"] == ["tests/content"]
    assert config["source_paths"] == ["app"]


def _meta(work: Path, module: str, codes: dict[str, int | None]) -> Path:
    meta = work / "mutants" / f"{module}.meta"
    meta.parent.mkdir(parents=True, exist_ok=True)
    meta.write_text(json.dumps({"exit_code_by_key": codes, "hash_by_function_name": {}}))
    return meta


def test_survivors_are_tried_again_and_verdicts_are_read(tmp_path: Path) -> None:
    meta = _meta(tmp_path, "app/auth/throttle.py",
                 {"m1": 1, "m2": 0, "m3": -24, "m4": 0, "m5": None, "m6": 33})
    found = mutation.verdicts(tmp_path, ["app/auth/throttle.py"])
    assert found == {"app/auth/throttle.py": {
        "m1": "killed", "m2": "survived", "m3": "timeout", "m4": "survived",
        "m5": "not checked", "m6": "no tests"}}
    assert mutation.retry_survivors(tmp_path, ["app/auth/throttle.py"]) == 2
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    assert codes == {"m1": 1, "m2": None, "m3": -24, "m4": None, "m5": None, "m6": 33}


def test_the_report_counts_timeouts_as_caught_and_no_tests_as_not(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    found = {"app/auth/throttle.py": {"a": "killed", "b": "timeout", "c": "survived",
                                      "d": "no tests", "e": "killed", "f": "killed",
                                      "g": "killed", "h": "killed"}}
    assert mutation.report(tmp_path, found, diffs=False)
    lines = capsys.readouterr().out.splitlines()
    row = next(line for line in lines if line.startswith("app/auth/throttle.py "))
    assert row.split() == ["app/auth/throttle.py", "8", "5", "1", "1", "1", "0", "75.0%"]
    assert "app/auth/throttle.py: 2 not caught" in lines
    assert not mutation.report(tmp_path, {"app/auth/throttle.py": {"a": "not checked"}},
                               diffs=False)
