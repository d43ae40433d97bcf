"""Coverage: the facts it is computed from, the recalculation engine, and its reads (DESIGN §3)."""
