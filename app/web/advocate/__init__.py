"""The advocates' pages (/app)."""
