"""Look at what a run built: `report.html` (write_report) and the `loom inspect` web viewer (server)."""
