"""Record-level migration registers: schema, synthetic generator, checks and aggregations.

A register is a folder of Parquet files partitioned by year of arrival (``year=YYYY/``), one
row per person-period (a stay of one person at one address). :mod:`keruen.registers.schema`
defines the columns; :mod:`~keruen.registers.generate` writes seeded synthetic registers;
:mod:`~keruen.registers.sql` holds every check and aggregation once, run by the engines in
:mod:`~keruen.registers.engines` (DuckDB by default, Spark on request);
:mod:`~keruen.registers.aggregate` writes the results to the store. See docs/registers.md.
"""
