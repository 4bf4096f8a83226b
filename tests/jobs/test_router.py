"""``GET /api/v1/jobs`` (admin): recent runs, newest first, with status, duration and error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from app.jobs.catalog import JOBS
from app.jobs.inline import InlineJobs
from app.jobs.spec import JobContext, JobSpec, RetryLater
from tests.builders import Api, Role


async def _failing(_ctx: JobContext, post_id: str) -> None:
    raise ValueError(f"no such post {post_id}")


async def _busy(_ctx: JobContext) -> None:
    raise RetryLater(0, "the network asked us to wait")


async def test_runs_are_listed_newest_first_with_their_outcome(api: Api) -> None:
    specs = {**JOBS, "explode": JobSpec("explode", _failing),
             "busy": JobSpec("busy", _busy, max_tries=2)}
    jobs = InlineJobs(api.db, api.client._transport.app.state.settings,  # type: ignore[attr-defined]
                      specs)
    with time_machine.travel(datetime(2026, 12, 2, 9, tzinfo=UTC), tick=True) as clock:
        await jobs.enqueue("publish_due")
        await jobs.drain()
        clock.shift(timedelta(minutes=1))
        await jobs.enqueue("explode", "p1")
        await jobs.drain()
        clock.shift(timedelta(minutes=1))
        await jobs.enqueue("busy")
        await jobs.drain()
        admin = await api.headers(Role.admin)
        response = await api.client.get("/api/v1/jobs", headers=admin)

        # Still in the travelled time: the admin's token was made in it.
        assert response.status_code == 200, response.text
        runs = response.json()["items"]
        assert [(r["name"], r["status"], r["attempt"]) for r in runs] == [
            ("busy", "retry", 2), ("busy", "retry", 1), ("explode", "failed", 1),
            ("publish_due", "ok", 1)]
        explode = runs[2]
        assert explode["args"] == ["p1"] and explode["error"] == "ValueError: no such post p1"
        assert explode["runner"] == "inline" and explode["duration_ms"] >= 0
        assert runs[3]["result"] == {"published": 0} and runs[3]["error"] is None
        assert runs[0]["error"] == "the network asked us to wait"

        failed = await api.client.get("/api/v1/jobs?status=failed", headers=admin)
        assert [r["name"] for r in failed.json()["items"]] == ["explode"]
        named = await api.client.get("/api/v1/jobs?name=publish_due", headers=admin)
        assert [r["name"] for r in named.json()["items"]] == ["publish_due"]
        first = await api.client.get("/api/v1/jobs?limit=3", headers=admin)
        rest = await api.client.get(
            f"/api/v1/jobs?limit=3&cursor={first.json()['next_cursor']}", headers=admin)
        assert [r["id"] for r in first.json()["items"] + rest.json()["items"]] == [
            r["id"] for r in runs]


@pytest.mark.parametrize("role", [Role.advocate, Role.marketer, Role.manager])
async def test_only_admins_see_job_runs(api: Api, role: Role) -> None:
    response = await api.client.get("/api/v1/jobs", headers=await api.headers(role))
    assert response.status_code == 403


async def test_a_bad_status_filter_is_refused(api: Api) -> None:
    admin = await api.headers(Role.admin)
    response = await api.client.get("/api/v1/jobs?status=exploded", headers=admin)
    assert response.status_code == 422
