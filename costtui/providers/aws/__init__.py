"""AWS: Cost Explorer (with its request plan) and Data Exports in S3."""
