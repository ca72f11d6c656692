"""Exporters: Prometheus gauges, CSV/JSON tables, FOCUS out, and atomic delivery."""
