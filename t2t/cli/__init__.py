"""The command line: wires spec, probes, planner, applier and rendering together."""

from t2t.cli.app import app, main

__all__ = ["app", "main"]
