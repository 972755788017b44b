"""Linkage writes: merges and their undo, review decisions, runs and the tasks they open."""
