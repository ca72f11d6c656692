"""Azure Cost Management exports provider, against Azurite."""
