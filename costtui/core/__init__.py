"""The questions every face asks: selections, windows, reports, the forecast, "today"."""
