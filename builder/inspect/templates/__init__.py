"""Jinja templates and the stylesheet of loom inspect and report.html (package data)."""
