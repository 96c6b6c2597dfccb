"""The report: Kazakhstan's place in the international labour migration system, from the store."""
