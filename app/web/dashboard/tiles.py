"""KPI tiles: each §6 value of a report with its definition, and why it is empty when it is."""

from __future__ import annotations

from dataclasses import dataclass

from app.analytics.kpi.schemas import KpiReport
from app.web.dashboard.definitions import BY_NAME, SECTIONS, Kind, Kpi


@dataclass(frozen=True)
class Tile:
    kpi: Kpi
    value: float | int | str | None
    currency: str | None = None
    # Revenue in several currencies: each sum, (currency, amount) sorted by currency.
    amounts: tuple[tuple[str, str], ...] = ()
    # Impressions and engagements: how many shares had a stats snapshot.
    with_stats: int | None = None

    @property
    def empty(self) -> bool:
        return self.value is None and not self.amounts


@dataclass(frozen=True)
class TileSection:
    title: str
    tiles: tuple[Tile, ...]


def tile(report: KpiReport, kpi: Kpi) -> Tile:
    value = getattr(report, kpi.name)
    if kpi.name == "revenue":
        amounts = () if value is not None else tuple(sorted(report.revenue_by_currency.items()))
        return Tile(kpi, value, report.revenue_currency, amounts)
    if kpi.name == "emv":
        return Tile(kpi, value, report.emv_currency)
    if kpi.name in ("impressions", "engagements"):
        return Tile(kpi, value, with_stats=report.shares_with_stats)
    return Tile(kpi, value)


def sections(report: KpiReport, *, without: frozenset[str] = frozenset()
             ) -> tuple[TileSection, ...]:
    """Every section's tiles but those named in ``without``."""
    return tuple(TileSection(s.title, tuple(tile(report, BY_NAME[n]) for n in s.names
                                            if n not in without))
                 for s in SECTIONS)


__all__ = ["Kind", "Tile", "TileSection", "sections", "tile"]
