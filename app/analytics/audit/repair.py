"""Rewriting what the audit found, in the audit's own transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, delete, insert, update
from sqlalchemy.orm import Session

from app.analytics.audit.report import Change, Difference
from app.core.db import Base, new_id, table
from app.models import PointsEntry


def _where(tbl: Table, key: dict[str, Any]) -> list[Any]:
    return [tbl.c[name] == value for name, value in key.items()]


def apply(session: Session, differences: Sequence[Difference]) -> int:
    """Insert the missing rows, set the wrong columns, delete the extra rows; returns how
    many differences were repaired (those with a change: never a click flag, never a badge
    taken back). Deletes and updates go first, so a row moved from one key to another never
    meets itself."""
    changes = [d.change for d in differences if d.change is not None]
    inserts: dict[type[Base], list[dict[str, Any]]] = defaultdict(list)
    for change in changes:
        tbl = table(change.model)
        if change.op == "delete":
            session.execute(delete(tbl).where(*_where(tbl, dict(change.key))))
        elif change.op == "update":
            session.execute(update(tbl).where(*_where(tbl, dict(change.key)))
                            .values(**change.values))
        else:
            inserts[change.model].append(_new_row(change))
    for model, rows in inserts.items():
        session.execute(insert(table(model)), rows)
    return len(changes)


def _new_row(change: Change) -> dict[str, Any]:
    row = {**change.key, **change.values}
    if change.model is PointsEntry:
        row["id"] = new_id()
    return row
