"""Advocacy against paid traffic: a two-proportion comparison (CONTRACT §6 ``vs_paid``)."""

from __future__ import annotations

import math
from statistics import NormalDist

from pydantic import BaseModel

_STANDARD = NormalDist()
Z_95 = _STANDARD.inv_cdf(0.975)


class VsPaid(BaseModel):
    advocacy_rate: float | None
    paid_rate: float | None
    lift: float | None
    diff: float | None
    diff_ci95: list[float] | None
    z: float | None
    p_value: float | None


def compare(x1: int, n1: int, x2: int, n2: int) -> VsPaid:
    """x₁ of n₁ (advocacy) against x₂ of n₂ (paid): the difference with its unpooled (Wald)
    95 % interval, and the pooled two-proportion z-test with a two-sided p-value."""
    p1 = x1 / n1 if n1 else None
    p2 = x2 / n2 if n2 else None
    lift = p1 / p2 - 1 if p1 is not None and p2 else None
    diff = ci = z = p_value = None
    if p1 is not None and p2 is not None:
        diff = p1 - p2
        se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
        ci = [diff - Z_95 * se, diff + Z_95 * se]
        pooled = (x1 + x2) / (n1 + n2)
        pooled_se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        if pooled_se > 0:
            z = diff / pooled_se
            # The two-sided tail is erfc(|z|/√2) exactly; NormalDist.cdf goes through erf and
            # rounds tails below ~1e-16 to 0, which would report an impossible p = 0.
            p_value = math.erfc(abs(z) / math.sqrt(2))
    return VsPaid(advocacy_rate=p1, paid_rate=p2, lift=lift, diff=diff, diff_ci95=ci, z=z,
                  p_value=p_value)
