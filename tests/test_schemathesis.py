"""Property-based API tests: Schemathesis drives every operation of ``/openapi.json``.

One app and one database serve the whole module (a per-test app would be rebuilt for each
of hundreds of generated requests), signed in as an admin so the admin-only operations are
reached past the auth check. Every response must not be a 5xx and must match the schema.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from tests.builders import Role, bearer, make_user, token_for
from tests.databases import backend_url, pg_admin

SECRET = "schemathesis-secret-key-that-is-long-enough-0123"
# Per operation, on top of Schemathesis's deterministic coverage cases. Derandomized, so a
# run is reproducible: a failure here fails every time. To hunt for more, run it once with
# more examples and derandomize=False.
MAX_EXAMPLES = 10
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@dataclass(frozen=True)
class Target:
    """The app under test and the headers that sign in as its admin."""

    app: FastAPI
    headers: dict[str, str]


def _settings(database_url: str) -> Settings:
    return Settings(_env_file=None, database_url=database_url, secret_key=SECRET)


async def _admin_headers(database_url: str) -> dict[str, str]:
    """Create an admin and sign them in: the headers every generated request carries."""
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            admin = await make_user(session, role=Role.admin, email="fuzz-admin@corp.test")
            token = await token_for(session, admin)
    finally:
        await db.dispose()
    return bearer(token)


@pytest.fixture(scope="module")
def target(template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The app on its own copy of the migrated template, and an admin's bearer headers."""
    pg = backend_url()
    if pg is None:
        path = tmp_path_factory.mktemp("schemathesis") / "chorus.db"
        shutil.copyfile(template, path)
        url = f"sqlite+aiosqlite:///{path}"
        name = None
    else:
        name = f"chorus_st_{uuid.uuid4().hex[:12]}"
        asyncio.run(pg_admin(pg, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        url = make_url(pg).set(database=name).render_as_string(hide_password=False)
    try:
        headers = asyncio.run(_admin_headers(url))
        yield Target(create_app(_settings(url), run_jobs=False), headers)
    finally:
        # Schemathesis runs the app (and its lifespan) on an event loop thread of its own,
        # for the whole process; ending the lifespans disposes of the app's engine there,
        # before its database goes away.
        asgi.shutdown_lifespans()
        if pg is not None and name is not None:
            asyncio.run(pg_admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _openapi_document() -> dict[str, Any]:
    """The app's OpenAPI document; building it does not touch the database."""
    return create_app(_settings("sqlite+aiosqlite:///:memory:"), run_jobs=False).openapi()


# Loaded at collection, so that each operation is a test item of its own; the requests go to
# `target.app`. (`schemathesis.pytest.from_fixture` would load it from the fixture's app, but
# it fails on pytest 9.2: it sets `Function._nodeid`, which pytest no longer has.)
schema = schemathesis.openapi.from_dict(_openapi_document()).exclude(
    # Would end the admin's session, and every later request would be a 401.
    method="POST", path="/api/v1/auth/logout",
)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case: Case, target: Target) -> None:
    # A copy: the transport adds its own headers to the dict it is given.
    case.call_and_validate(app=target.app, headers=dict(target.headers), checks=CHECKS)
