"""Outcome analytics over the DuckDB store."""
