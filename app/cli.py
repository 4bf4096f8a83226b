"""The ``chorus`` command line (CONTRACT §1)."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Annotated

import typer

from app.core.config import ConfigError, get_settings
from app.models.enums import Role

cli = typer.Typer(help="Chorus: employee advocacy you can run yourself.", no_args_is_help=True,
                  add_completion=False)


def main() -> None:
    cli()


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    no_migrate: Annotated[bool, typer.Option("--no-migrate", help="Skip migrations.")] = False,
    allow_sqlite: Annotated[bool, typer.Option("--allow-sqlite",
                                               help="Allow SQLite when CHORUS_ENV=prod.")] = False,
) -> None:
    """Apply migrations, then serve the API, tracked links and pages with uvicorn."""
    import uvicorn

    from app.core import logs
    from app.core.migrate import upgrade
    from app.tracking.projector_process import METRICS_ENV, ProjectorProcess

    settings = get_settings()
    try:
        settings.check_for_serving(allow_sqlite=allow_sqlite)
    except ConfigError as exc:
        _fail(str(exc), 2)
    logs.configure()
    if not no_migrate:
        upgrade(settings.database_url)
    # Clicks are projected in a process of its own: the web workers keep their core for
    # the redirects (app.tracking.projector_process).
    projector = ProjectorProcess()
    os.environ[METRICS_ENV] = projector.metrics_dir  # for the web workers
    projector.start()
    # uvicorn ends by raising again the signal that stopped it, under the handler it found:
    # this one notes it, so that the projector is stopped first, then the command dies of it.
    stopped_by: list[int] = []
    for caught in (signal.SIGINT, signal.SIGTERM):
        signal.signal(caught, lambda received, _frame: stopped_by.append(received))
    try:
        uvicorn.run("app.main:served_app", factory=True, host=host, port=port,
                    workers=workers, access_log=False, log_config=None,
                    # The app reads X-Forwarded-For itself, from CHORUS_TRUSTED_PROXIES only.
                    proxy_headers=False)
    finally:
        projector.stop()
    for signum in stopped_by[:1]:
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)


@cli.command()
def worker() -> None:
    """Run the arq worker (needs CHORUS_REDIS_URL)."""
    settings = get_settings()
    if not settings.redis_url:
        _fail("chorus worker needs CHORUS_REDIS_URL; without it, `chorus serve` runs the jobs",
              2)
    from app.core import logs
    from app.jobs.worker import run_worker

    logs.configure()
    run_worker(settings)


@cli.command()
def migrate() -> None:
    """Upgrade the configured database to the newest schema (alembic upgrade head)."""
    from app.core.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    typer.echo("database is at the newest schema")


@cli.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(help="Sign-in email.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    role: Annotated[Role, typer.Option(help="admin, marketer, manager or advocate.")],
    password: Annotated[str | None, typer.Option(help="At least 8 characters.")] = None,
    group: Annotated[list[str] | None, typer.Option(
        help="Group name (created when missing); repeat for several.")] = None,
) -> None:
    """Create a user; prints the new id alone on the last line."""
    from app.cli_commands import create_user as run

    try:
        user_id = asyncio.run(run(email=email, name=name, role=role, password=password,
                                  groups=group or []))
    except ValueError as exc:
        _fail(str(exc))
    typer.echo(user_id)


@cli.command()
def audit(
    repair: Annotated[bool, typer.Option(
        "--repair", help="Rewrite what differs, in one transaction (badges are only added, "
                         "click flags never change).")] = False,
) -> None:
    """Recompute every derived number from the raw records and print each difference;
    exit 1 when any differs."""
    from app.analytics.audit.cli import run_audit

    raise typer.Exit(asyncio.run(run_audit(get_settings(), repair=repair)))


@cli.command()
def demo(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same program.")] = 7,
    if_empty: Annotated[bool, typer.Option("--if-empty",
                                           help="Do nothing (exit 0) when data exists.")] = False,
) -> None:
    """Fill an empty database with a realistic program and print the logins."""
    from app.demo.build import build_demo

    try:
        asyncio.run(build_demo(get_settings(), seed=seed, if_empty=if_empty))
    except ValueError as exc:
        _fail(str(exc))


if __name__ == "__main__":  # pragma: no cover
    main()
