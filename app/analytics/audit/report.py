"""What the audit found: one :class:`Difference` per derived row that is not what the raw
records say it should be, with the :class:`Change` that would make it so (none when the
row must not be rewritten: decided click flags, badges already earned)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from app.core.db import Base

Op = Literal["insert", "update", "delete"]
NONE = "none"

# The order tables are reported in: what decides first, what is counted from it after.
TABLES = ("click_log", "clicks", "unique_visits", "address_visits", "share_days",
          "points_ledger", "period_stats", "badges")


@dataclass(frozen=True)
class Change:
    """One row to write: ``key`` names it (its primary or unique key), ``values`` are the
    columns to insert or set."""

    model: type[Base]
    op: Op
    key: Mapping[str, Any]
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Difference:
    """A derived row that differs: ``stored`` and ``recomputed`` show the differing columns
    (``none`` for a row that does not exist)."""

    table: str
    key: str
    stored: str
    recomputed: str
    change: Change | None = None
    note: str | None = None

    @property
    def repairable(self) -> bool:
        return self.change is not None

    def __str__(self) -> str:
        line = f"{self.table}[{self.key}]: stored {self.stored}; recomputed {self.recomputed}"
        return f"{line} ({self.note})" if self.note else line


@dataclass
class AuditReport:
    """``found``: the differences of the first audit. With ``repair``, ``repaired`` says
    how many were rewritten (in one transaction, after the pending clicks were projected)
    and ``remaining`` is what a second audit still finds; without it, ``remaining`` is
    ``found``. ``checked`` counts the raw records read."""

    found: list[Difference]
    remaining: list[Difference]
    repaired: int = 0
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.remaining


def show(value: Any) -> str:
    """A value as the report prints it: ISO times in UTC, dates, lower-case booleans."""
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def columns(values: Mapping[str, Any], names: Sequence[str] | None = None) -> str:
    """``name=value`` pairs, of ``names`` (every column when None)."""
    return " ".join(f"{name}={show(values[name])}" for name in (names or list(values)))


def key_text(key: Mapping[str, Any]) -> str:
    return ", ".join(f"{name}={show(value)}" for name, value in key.items())


def compare(table: str, model: type[Base], key: Mapping[str, Any],
            stored: Mapping[str, Any] | None, expected: Mapping[str, Any] | None, *,
            label: str | None = None) -> Difference | None:
    """The difference between a stored row and its recomputation (None when equal), with the
    change that repairs it: insert the missing row, set the wrong columns, delete the extra
    row. Both rows are mappings of the same column names, key columns excluded."""
    name = label or key_text(key)
    if stored is None and expected is None:
        return None
    if stored is None:
        assert expected is not None
        return Difference(table, name, NONE, columns(expected),
                          Change(model, "insert", key, dict(expected)))
    if expected is None:
        return Difference(table, name, columns(stored), NONE, Change(model, "delete", key))
    wrong = [column for column in expected if stored.get(column) != expected[column]]
    if not wrong:
        return None
    return Difference(table, name, columns(stored, wrong), columns(expected, wrong),
                      Change(model, "update", key, {c: expected[c] for c in wrong}))
