"""Indicators: pure functions on tables (no I/O). See each module for formulas and sources."""
