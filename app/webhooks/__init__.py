"""The webhooks domain (CONTRACT §3, §9)."""
