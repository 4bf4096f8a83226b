"""/dashboard: the managers' pages (CONTRACT §8): pick a pilot, read its KPIs (§6)."""
