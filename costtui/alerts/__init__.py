"""Alerts: threshold rules and anomalies evaluated over the cache, recorded once, notified by email or webhook."""
