"""Operator badges over PC/SC (pyscard): card UID events, operator registry, login with badge + PIN."""
