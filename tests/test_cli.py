"""The ``chorus`` command line, run as a user would: a subprocess in another directory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

CHORUS = str(Path(sys.executable).with_name("chorus"))


def _run(args: list[str], cwd: Path, db_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
    environment = {**inherited, "CHORUS_DATABASE_URL": db_url, **env}
    return subprocess.run([CHORUS, *args], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=120, check=False)


def test_create_user_prints_the_id_last_and_refuses_duplicates(db_url: str,
                                                               tmp_path: Path) -> None:
    args = ["create-user", "--email", "Ana@Corp.test", "--name", "Ana", "--role", "manager",
            "--password", "long enough", "--group", "Sales", "--group", "Berlin"]
    first = _run(args, tmp_path, db_url)
    assert first.returncode == 0, first.stderr
    user_id = first.stdout.strip().splitlines()[-1]
    assert len(user_id) >= 16 and " " not in user_id
    again = _run([*args[:2], "ana@corp.test", *args[3:]], tmp_path, db_url)
    assert again.returncode == 1
    assert "already exists" in again.stderr


def test_create_user_rejects_a_short_password(db_url: str, tmp_path: Path) -> None:
    result = _run(["create-user", "--email", "b@corp.test", "--name", "B", "--role", "advocate",
                   "--password", "short"], tmp_path, db_url)
    assert result.returncode == 1 and "8 characters" in result.stderr


def test_demo_fills_an_empty_database_once(db_url: str, tmp_path: Path) -> None:
    first = _run(["demo", "--seed", "3"], tmp_path, db_url)
    assert first.returncode == 0, first.stderr
    assert "admin@chorus.test" in first.stdout and "chorus-demo" in first.stdout
    again = _run(["demo"], tmp_path, db_url)
    assert again.returncode == 1 and "empty database" in again.stderr
    skipped = _run(["demo", "--if-empty"], tmp_path, db_url)
    assert skipped.returncode == 0 and "skipped" in skipped.stdout


def test_prod_refuses_to_serve_without_a_secret_key(db_url: str, tmp_path: Path) -> None:
    result = _run(["serve", "--no-migrate"], tmp_path, db_url, CHORUS_ENV="prod",
                  CHORUS_BASE_URL="https://chorus.corp.test")
    assert result.returncode == 2 and "CHORUS_SECRET_KEY" in result.stderr


def test_prod_refuses_plain_http_and_sqlite(db_url: str, tmp_path: Path) -> None:
    secret = "s" * 48
    http = _run(["serve"], tmp_path, db_url, CHORUS_ENV="prod", CHORUS_SECRET_KEY=secret)
    assert http.returncode == 2 and "https" in http.stderr
    if db_url.startswith("sqlite"):
        sqlite = _run(["serve"], tmp_path, db_url, CHORUS_ENV="prod", CHORUS_SECRET_KEY=secret,
                      CHORUS_BASE_URL="https://chorus.corp.test")
        assert sqlite.returncode == 2 and "--allow-sqlite" in sqlite.stderr


def test_worker_explains_it_needs_redis(db_url: str, tmp_path: Path) -> None:
    result = _run(["worker"], tmp_path, db_url, CHORUS_REDIS_URL="")
    assert result.returncode == 2 and "CHORUS_REDIS_URL" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.timeout_sensitive
def test_serve_migrates_and_answers_from_any_directory(db_url: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "CHORUS_DATABASE_URL": db_url}
    server = subprocess.Popen([CHORUS, "serve", "--port", str(port)], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
                assert time.monotonic() < deadline, "chorus serve did not start"
                time.sleep(0.2)
        assert response.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/openapi.json").status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
    logged = server.stdout.read().decode() if server.stdout else ""
    assert "127.0.0.1\"" not in logged.replace('"host"', "")
