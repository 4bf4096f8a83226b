"""Which period a scheduled report covers: the last full ISO week or calendar month."""

from __future__ import annotations

from datetime import date

import pytest

from app.analytics.reports.periods import ReportPeriod, last_full
from app.analytics.reports.schemas import Cadence


@pytest.mark.parametrize(("today", "expected"), [
    (date(2026, 3, 16), ReportPeriod("2026-W11", date(2026, 3, 9), date(2026, 3, 16))),
    (date(2026, 3, 22), ReportPeriod("2026-W11", date(2026, 3, 9), date(2026, 3, 16))),
    (date(2026, 3, 23), ReportPeriod("2026-W12", date(2026, 3, 16), date(2026, 3, 23))),
    # ISO years: 2026 has 53 weeks, and its last one ends on 3 January 2027.
    (date(2027, 1, 4), ReportPeriod("2026-W53", date(2026, 12, 28), date(2027, 1, 4))),
    (date(2026, 1, 7), ReportPeriod("2026-W01", date(2025, 12, 29), date(2026, 1, 5))),
])
def test_the_last_full_iso_week(today: date, expected: ReportPeriod) -> None:
    assert last_full(Cadence.weekly, today) == expected


@pytest.mark.parametrize(("today", "expected"), [
    (date(2026, 3, 1), ReportPeriod("2026-02", date(2026, 2, 1), date(2026, 3, 1))),
    (date(2026, 3, 31), ReportPeriod("2026-02", date(2026, 2, 1), date(2026, 3, 1))),
    (date(2026, 1, 15), ReportPeriod("2025-12", date(2025, 12, 1), date(2026, 1, 1))),
    (date(2024, 3, 2), ReportPeriod("2024-02", date(2024, 2, 1), date(2024, 3, 1))),
])
def test_the_last_full_calendar_month(today: date, expected: ReportPeriod) -> None:
    assert last_full(Cadence.monthly, today) == expected
