"""Op modules: one per op, each holding its checks, constants and C emission (see base.py)."""
