"""Sync: the pure core (plan, merge, conflicts, priority, matching, fingerprint) and the engine."""
