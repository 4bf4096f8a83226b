"""The body of ``chorus audit``: the report printed, progress on stderr, the exit code."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer
from sqlalchemy.exc import DBAPIError

from app.analytics.audit import audit
from app.analytics.audit.report import AuditReport, Difference
from app.core.config import Settings
from app.core.db import Database


class Bars:
    """One progress bar per long phase, on stderr (stdout is the report)."""

    def __init__(self) -> None:
        self._bar: Any = None

    def phase(self, label: str, total: int) -> None:
        self.finish()
        self._bar = typer.progressbar(length=max(total, 1), label=label, file=sys.stderr)
        self._bar.__enter__()

    def advance(self, n: int) -> None:
        if self._bar is not None and n:
            self._bar.update(n)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


def _by_table(differences: Sequence[Difference]) -> str:
    counts: dict[str, int] = {}
    for difference in differences:
        counts[difference.table] = counts.get(difference.table, 0) + 1
    return ", ".join(f"{table} {n}" for table, n in counts.items())


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render(report: AuditReport, *, repair: bool) -> list[str]:
    """The report's lines: each difference found, then what was done and what remains."""
    lines = [str(d) for d in report.found]
    checked = ", ".join(f"{n} {what}" for what, n in report.checked.items())
    if not report.found:
        lines.append(f"audit: clean ({checked})")
        return lines
    found = report.found
    lines.append(f"audit: {_plural(len(found), 'difference')} ({_by_table(found)}); "
                 f"checked {checked}")
    if not repair:
        repairable = sum(1 for d in found if d.repairable or d.table == "click_log")
        lines.append(f"audit: {repairable} of them repairable with --repair")
        return lines
    lines.append(f"repair: {_plural(report.repaired, 'difference')} rewritten "
                 "in one transaction")
    if report.clean:
        lines.append("audit after repair: clean")
    else:
        left = len(report.remaining)
        lines.append(f"audit after repair: {_plural(left, 'difference')} "
                     f"{'remains' if left == 1 else 'remain'} ({_by_table(report.remaining)}):")
        lines.extend(f"  {d}" for d in report.remaining)
    return lines


async def run_audit(settings: Settings, *, repair: bool) -> int:
    """Print the report; 0 when nothing differs (after the repair, when repairing), 1 when
    something does, 2 when the audit could not finish (nothing was rewritten then)."""
    db = Database(settings.database_url, tz=settings.tz)
    bars = Bars()
    try:
        report = await audit(db, repair=repair, progress=bars)
    except DBAPIError as exc:
        # PostgreSQL refuses a repair whose rows another transaction changed meanwhile.
        typer.echo(f"error: the audit could not finish, nothing was rewritten: {exc.orig}",
                   err=True)
        return 2
    finally:
        bars.finish()
        await db.dispose()
    for line in render(report, repair=repair):
        typer.echo(line)
    return 0 if report.clean else 1
