"""The Textual dashboard: trends, services, accounts, regions and alerts over the cache."""
