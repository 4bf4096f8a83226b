"""The digests domain (CONTRACT §3, §9)."""
