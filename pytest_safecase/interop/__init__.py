"""Evidence from other tools: Inspect AI eval logs, ControlArena runs, evidence freshness.

Nothing here imports ``inspect_ai`` until a log is read, so the plugin works without the
``inspect`` extra installed.
"""
