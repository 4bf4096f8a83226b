"""Formatters the dashboard hands to the chart macros, which take callables, not filters.

Each goes through the page's locale filters (:mod:`app.web.formatting`) when called, that
is while the page renders in its language.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from app.web.dashboard.definitions import BY_NAME, Kind
from app.web.formatting import FILTERS


def count(value: Any) -> str:
    return FILTERS["number"](value)


def rate(value: Any) -> str:
    """A fraction as a percentage with one decimal: ``0.4286`` → ``42.9%``."""
    return FILTERS["percent"](value, 1)


def fine_rate(value: Any) -> str:
    """Conversion rates and their differences are small: two decimals (``1.19%``)."""
    return FILTERS["percent"](value, 2)


def whole_percent(value: Any) -> str:
    return FILTERS["percent"](value, 0)


def week(value: date) -> str:
    """A week's first day, short: ``2 Mar``."""
    return FILTERS["date"](value, "d MMM")


def _decimal(digits: int) -> Callable[[Any], str]:
    def shown(value: Any) -> str:
        return FILTERS["decimal"](value, digits)
    return shown


_BY_KIND: dict[Kind, Callable[[Any], str]] = {
    Kind.number: count, Kind.rate: whole_percent, Kind.ratio: _decimal(2),
    Kind.money: _decimal(2), Kind.score: _decimal(1), Kind.enps: _decimal(0),
}


def of_metric(metric: str | None) -> Callable[[Any], str]:
    """How a key result's current and target read, by the kind of its KPI; a manual key
    result's (no metric) as a plain number."""
    kpi = BY_NAME.get(metric) if metric else None
    return _BY_KIND[kpi.kind] if kpi else count
