"""What the report and the dashboard share to show a section: one look, one wording.

- :mod:`~keruen.presentation.locale`: numbers, money, percentages and area names in a language;
- :mod:`~keruen.presentation.labels`: translatable labels and sentences (measures, groups,
  publishers, verdicts, SWOT items, reasons of the reconciliation);
- :mod:`~keruen.presentation.charts`: Altair charts written as PNG and SVG;
- :mod:`~keruen.presentation.vega`: the Vega scripts inlined in pages and script-safe JSON.

It renders analysis results; it computes no number and reads no store.
"""
