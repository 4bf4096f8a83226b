"""The networks domain (CONTRACT §3, §9)."""
