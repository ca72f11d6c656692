"""Headless front ends for servers: check, export, tabular output. Never imports textual or a cloud SDK."""
