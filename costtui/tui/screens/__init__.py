"""Screens of the dashboard beyond the main one."""
