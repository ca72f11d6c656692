"""One module per top-level view of the dashboard."""
