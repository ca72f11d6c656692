"""Tests of the GCP BigQuery billing-export provider against the BigQuery emulator."""
