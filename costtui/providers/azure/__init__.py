"""Azure: Cost Management exports in Blob Storage."""
