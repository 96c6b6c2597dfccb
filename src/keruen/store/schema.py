"""The store's tables.

``sources`` has one row per ingested file (its provenance and sha256); ``observations`` holds
tidy values, each pointing at the source row it came from; ``paper_figures`` holds the figures a
publication states, kept apart from observations because they are quotations, not data.
"""

OBSERVATION_KEY = ("dataset", "measure", "ref_area", "counterpart_area", "breakdown", "period")
OBSERVATION_COLUMNS = (*OBSERVATION_KEY, "value", "unit", "obs_status")
#: The years a period may name (each year of a range, the year of a date): the range the
#: query layer, the API and the dashboard accept. A period outside it is refused at ingest.
PERIOD_YEARS = (1900, 2100)
#: SDMX OBS_STATUS codes used as status flags.
OBS_STATUS = {"A": "normal", "E": "estimate", "P": "provisional", "M": "missing"}
PAPER_COLUMNS = (
    "measure",
    "ref_area",
    "counterpart_area",
    "period",
    "value",
    "unit",
    "original_source",
    "where_in_paper",
)

DDL = """
CREATE SEQUENCE IF NOT EXISTS source_seq START 1;
CREATE TABLE IF NOT EXISTS sources (
    source_id INTEGER PRIMARY KEY DEFAULT nextval('source_seq'),
    dataset VARCHAR NOT NULL,
    vintage VARCHAR NOT NULL,
    release VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    title VARCHAR,
    publisher VARCHAR NOT NULL,
    url VARCHAR,
    licence VARCHAR,
    retrieved VARCHAR,
    origin VARCHAR,
    file_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL UNIQUE,
    notes VARCHAR,
    n_rows INTEGER NOT NULL,
    ingested_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE IF NOT EXISTS observations (
    dataset VARCHAR NOT NULL,
    measure VARCHAR NOT NULL,
    ref_area VARCHAR NOT NULL,
    counterpart_area VARCHAR,
    breakdown VARCHAR,
    period VARCHAR NOT NULL,
    value DOUBLE,
    unit VARCHAR,
    obs_status VARCHAR NOT NULL,
    source_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS paper_figures (
    measure VARCHAR NOT NULL,
    ref_area VARCHAR NOT NULL,
    counterpart_area VARCHAR,
    period VARCHAR NOT NULL,
    value DOUBLE NOT NULL,
    unit VARCHAR,
    original_source VARCHAR,
    where_in_paper VARCHAR,
    source_id INTEGER NOT NULL
);
"""
