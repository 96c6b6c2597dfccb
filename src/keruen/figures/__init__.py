"""Figures: Altair charts written as PNG and SVG (vl-convert, no browser needed)."""
