"""The two-proportion comparison behind ``vs_paid``."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from app.analytics.kpi.stats import compare


def test_textbook_example() -> None:
    """60/100 against 45/100: pooled p̂ = 0.525, z = 2.124, two-sided p = 0.0337; the Wald
    interval of the difference 0.15 is [0.0132, 0.2868] (worked by hand)."""
    result = compare(60, 100, 45, 100)
    assert result.diff == pytest.approx(0.15)
    assert result.z == pytest.approx(2.1240, abs=5e-4)
    assert result.p_value == pytest.approx(0.0337, abs=5e-4)
    assert result.diff_ci95 == pytest.approx([0.0132, 0.2868], abs=5e-4)
    assert result.lift == pytest.approx(60 / 45 - 1)


def test_what_cannot_be_computed_is_null() -> None:
    none = compare(0, 0, 5, 100)
    assert none.advocacy_rate is None and none.diff is None and none.z is None
    assert none.lift is None and none.diff_ci95 is None
    no_paid = compare(3, 10, 0, 100)
    assert no_paid.paid_rate == 0 and no_paid.lift is None and no_paid.z is not None
    all_zero = compare(0, 10, 0, 100)
    assert all_zero.diff == 0 and all_zero.z is None and all_zero.p_value is None


@settings(max_examples=300, deadline=None)
@given(n1=st.integers(1, 5000), n2=st.integers(1, 5000), data=st.data())
def test_matches_scipy(n1: int, n2: int, data: st.DataObject) -> None:
    x1 = data.draw(st.integers(0, n1))
    x2 = data.draw(st.integers(0, n2))
    result = compare(x1, n1, x2, n2)
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        assert result.z is None
        return
    z = (p1 - p2) / se
    assert result.z == pytest.approx(z)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9, abs=1e-300)
    wald = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    q = stats.norm.ppf(0.975)
    assert result.diff_ci95 == pytest.approx([p1 - p2 - q * wald, p1 - p2 + q * wald])
