"""The feeds domain (CONTRACT §3, §9)."""
