"""The fake Conductor server (see server.py)."""
