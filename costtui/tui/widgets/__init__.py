"""Widgets of the dashboard, each showing one part of a DashboardData snapshot."""
