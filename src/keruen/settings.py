"""All of keruen's settings in one place, each read from an environment variable.

``keruen settings`` (and the docs) list this table; a test checks the docs cover every entry.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from keruen.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    """One setting: its environment variable, default and help text."""

    env: str
    default: str | None
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "KERUEN_HOME",
        None,
        "Folder holding the store (keruen.duckdb) and caches; default: the per-user data "
        "folder (e.g. ~/.local/share/keruen).",
    ),
    Setting(
        "KERUEN_LANG",
        "en",
        "Default language of reports and labels: en, ru or kk.",
    ),
    Setting(
        "KERUEN_WORLDBANK_URL",
        "https://api.worldbank.org/v2",
        "Base URL of the World Bank Indicators API (v2) used by `keruen update worldbank`.",
    ),
    Setting(
        "KERUEN_ILOSTAT_URL",
        "https://sdmx.ilo.org/rest",
        "Base URL of ILOSTAT's SDMX REST web service used by `keruen update ilostat`.",
    ),
    Setting(
        "KERUEN_UNDESA_IMS_URL",
        "https://www.un.org/development/desa/pd/sites/www.un.org.development.desa.pd/files/"
        "undesa_pd_2020_ims_stock_by_sex_destination_and_origin.xlsx",
        "URL of the UN DESA International Migrant Stock workbook (destination x origin x sex) "
        "fetched by `keruen update undesa`.",
    ),
    Setting(
        "KERUEN_TALDAU_URL",
        "https://taldau.stat.gov.kz/ru/Api",
        "Base URL of the Taldau API of Kazakhstan's Bureau of National Statistics.",
    ),
    Setting(
        "KERUEN_TALDAU_REGISTRY",
        None,
        "A TOML file of Taldau indices used instead of the bundled taldau_indices.toml "
        "(same format; fill in the index ids there).",
    ),
    Setting(
        "KERUEN_HTTP_TIMEOUT",
        "30",
        "Seconds to wait for a remote server to connect or send data before a retry.",
    ),
    Setting(
        "KERUEN_HTTP_RETRIES",
        "4",
        "How many times a failed request (time-out, HTTP 429 or 5xx) is retried.",
    ),
    Setting(
        "KERUEN_HTTP_BACKOFF",
        "1.0",
        "Base of the exponential back-off between retries, in seconds (1, 2, 4, ... capped).",
    ),
    Setting(
        "KERUEN_HTTP_BACKOFF_MAX",
        "60",
        "Longest wait between two retries in seconds; also caps a server's Retry-After.",
    ),
    Setting(
        "KERUEN_CACHE_DIR",
        None,
        "Folder of the on-disk HTTP cache; default: <KERUEN_HOME>/cache/http.",
    ),
    # -- update deadline, size caps and input limits (issue 8, items 8-11) --------------------
    Setting(
        "KERUEN_UPDATE_DEADLINE",
        "60",
        "Seconds one `keruen update` (every request, retry and wait of it) may take in all; "
        "past it the update stops with an error and the store is unchanged.",
    ),
    Setting(
        "KERUEN_REGISTER_ENGINE",
        "duckdb",
        "Engine of `keruen register validate|aggregate`: duckdb or spark.",
    ),
    Setting(
        "KERUEN_REGISTER_MEMORY_LIMIT",
        "1.5GB",
        "Memory limit of the DuckDB register engine (it spills to disk beyond it).",
    ),
    Setting(
        "KERUEN_REGISTER_TEMP_DIR",
        None,
        "Folder where the DuckDB register engine spills; default: a fresh temporary folder.",
    ),
    Setting(
        "KERUEN_REGISTER_MAX_BAD_SHARE",
        "0.01",
        "Largest share of a register's records that may break the checks before a run fails.",
    ),
    Setting(
        "KERUEN_SPARK_MASTER",
        "local[2]",
        "Spark master URL of the Spark register engine (local mode or a cluster URL).",
    ),
    Setting(
        "KERUEN_SPARK_DRIVER_MEMORY",
        None,
        "Heap of the Spark driver (in local mode, of the one JVM doing the work), e.g. 4g; "
        "default: Spark's own (1g). Read when the Spark session starts.",
    ),
    Setting(
        "KERUEN_SPARK_START_TIMEOUT",
        "30",
        "Seconds the Spark register engine waits for a cluster master (spark://, k8s://, "
        "mesos://, yarn) to start a session; the master's port is probed first (5 s at most).",
    ),
    Setting(
        "KERUEN_UPDATE_MAX_PAGES",
        "500",
        "Most pages one update may request from a paged API (World Bank); an answer "
        "announcing more is rejected before any further request.",
    ),
    Setting(
        "KERUEN_UPDATE_MAX_BYTES",
        "536870912",
        "Most bytes one update may download in all (default 512 MiB); a larger answer is rejected.",
    ),
    Setting(
        "KERUEN_INPUT_MAX_ROWS",
        "5000000",
        "Most rows read from one imported spreadsheet or CSV file (a file with more is "
        "rejected rather than read into memory).",
    ),
    Setting(
        "KERUEN_INPUT_MAX_BYTES",
        "1073741824",
        "Largest file `keruen import` reads (default 1 GiB); a larger one is refused at once.",
    ),
    Setting(
        "KERUEN_INPUT_MAX_COLUMNS",
        "2000",
        "Most columns read from one imported spreadsheet or CSV file.",
    ),
    # -- web (keruen serve) ---------------------------------------------------------------
    Setting(
        "KERUEN_WEB_QUERY_TIMEOUT",
        "10",
        "Seconds one REST API request may spend on its query before it is cancelled (HTTP 503).",
    ),
    Setting(
        "KERUEN_SDMX_MAX_OBSERVATIONS",
        "30000",
        "Most observations one SDMX data answer of `keruen serve` may hold (more: HTTP 413).",
    ),
    Setting(
        "KERUEN_WEB_CORS_ORIGINS",
        None,
        "Comma-separated origins allowed to call the REST API from other sites (CORS); "
        "default: none (CORS off).",
    ),
    Setting(
        "KERUEN_WEB_HEADER_TIMEOUT",
        "10",
        "Seconds `keruen serve` waits for a request's line and headers, from its first byte; "
        "a slower client gets 408 and its connection is closed (slowloris).",
    ),
    Setting(
        "KERUEN_WEB_BODY_TIMEOUT",
        "10",
        "Seconds `keruen serve` waits for a request's body after its headers (408, closed).",
    ),
    Setting(
        "KERUEN_WEB_BUILD_WORKERS",
        "1",
        "Worker processes of `keruen serve` that build country profiles and the migration "
        "systems off the request path (1 suits 2 CPUs; 0: one thread of the server).",
    ),
    Setting(
        "KERUEN_WEB_BUILD_QUEUE",
        "8",
        "Heavy builds that may wait for a worker of `keruen serve`; a request needing one more "
        "gets 503 with Retry-After.",
    ),
    Setting(
        "KERUEN_WEB_PUBLIC_URL",
        None,
        "Public base URL of `keruen serve` (e.g. https://data.example.org) put before the "
        "REST API's next-page links; default: none (links are relative, never built from "
        "the request's Host header).",
    ),
    # -- store and ingest (owner: store) --
    Setting(
        "KERUEN_LOCK_TIMEOUT",
        "60",
        "Seconds a command that writes the store waits for another keruen process writing it "
        "before it gives up with an error (readers never wait: docs/store.md).",
    ),
    Setting(
        "KERUEN_MEMORY_LIMIT",
        "1GB",
        "DuckDB memory limit for ingest and queries (e.g. 512MB, 2GB); larger data spill to "
        "temporary files beside the store.",
    ),
    # -- end of store and ingest --
    # -- report cache (owner: report-cache) --
    Setting(
        "KERUEN_REPORT_CACHE_DIR",
        None,
        "Folder of the report cache; default: <KERUEN_HOME>/cache/report. Several homes may "
        "share one (entries are checked against each store's data); it is trusted like the "
        "store (its entries are pickles), so never point it at a folder others can write.",
    ),
    Setting(
        "KERUEN_REPORT_CACHE_MB",
        "512",
        "Largest size in megabytes of the report cache (KERUEN_REPORT_CACHE_DIR); the least "
        "recently used entries are removed beyond it.",
    ),
    # -- end of report cache --
    Setting(
        "KERUEN_REPORT_COUNTRIES_PER_PROCESS",
        "20",
        "Reports of several countries (`keruen report --country all`) are drawn in a child "
        "process replaced by a fresh one after this many countries, which bounds memory; 0: "
        "all in the command's own process.",
    ),
)


def get(env: str) -> str | None:
    """The value of setting ``env`` (environment first, then its default)."""
    for s in SETTINGS:
        if s.env == env:
            return os.environ.get(env) or s.default
    raise ConfigError(f"unknown setting {env!r}; known: {', '.join(s.env for s in SETTINGS)}")


def home() -> Path:
    """The keruen home folder (``KERUEN_HOME`` or the per-user data folder)."""
    value = get("KERUEN_HOME")
    if value:
        return Path(value).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("keruen", appauthor=False))


def store_path() -> Path:
    """Where the default store lives: ``<home>/keruen.duckdb``."""
    return home() / "keruen.duckdb"


#: Numeric settings and what each must be: (smallest value, smallest refused?, whole number?).
NUMERIC: dict[str, tuple[float, bool, bool]] = {
    "KERUEN_HTTP_TIMEOUT": (0, True, False),
    "KERUEN_HTTP_RETRIES": (0, False, True),
    "KERUEN_HTTP_BACKOFF": (0, False, False),
    "KERUEN_HTTP_BACKOFF_MAX": (0, False, False),
    "KERUEN_UPDATE_DEADLINE": (0, True, False),
    "KERUEN_REGISTER_MAX_BAD_SHARE": (0, False, False),
    "KERUEN_UPDATE_MAX_PAGES": (1, False, True),
    "KERUEN_UPDATE_MAX_BYTES": (1, False, True),
    "KERUEN_INPUT_MAX_ROWS": (1, False, True),
    "KERUEN_INPUT_MAX_BYTES": (1, False, True),
    "KERUEN_INPUT_MAX_COLUMNS": (1, False, True),
    "KERUEN_WEB_QUERY_TIMEOUT": (0, True, False),
    "KERUEN_WEB_BUILD_WORKERS": (0, False, True),
    "KERUEN_WEB_BUILD_QUEUE": (0, False, True),
    "KERUEN_SDMX_MAX_OBSERVATIONS": (1, False, True),
    "KERUEN_LOCK_TIMEOUT": (0, False, False),
    "KERUEN_REPORT_CACHE_MB": (0, False, False),
    "KERUEN_REPORT_COUNTRIES_PER_PROCESS": (0, False, True),
}


def check() -> None:
    """Check every numeric setting (:data:`NUMERIC`) at once; the CLI calls it before a command.

    A bad value (``KERUEN_REPORT_CACHE_MB=abc``, ``KERUEN_HTTP_TIMEOUT=0``) is then one
    :class:`ConfigError` before any work, not a failure after a report was written.
    """
    for env in NUMERIC:
        number(env)


def number(env: str) -> float:
    """A numeric setting; raises :class:`ConfigError` naming the variable if it is not one.

    Settings in :data:`NUMERIC` must also be at least (or above) their smallest value and, where
    said, whole numbers.
    """
    value = get(env)
    try:
        result = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"setting {env} must be a number, got {value!r}") from None
    if result != result or result in (float("inf"), float("-inf")):
        raise ConfigError(f"setting {env} must be a finite number, got {value!r}")
    low, strict, whole = NUMERIC.get(env, (0, False, False))
    if result < low or (strict and result == low):
        bound = f"greater than {low:g}" if strict else f"at least {low:g}"
        raise ConfigError(f"setting {env} must be {bound}, got {value!r}")
    if whole and result != int(result):
        raise ConfigError(f"setting {env} must be a whole number, got {value!r}")
    return result


def report_cache_dir() -> Path:
    """Folder of the report cache (``KERUEN_REPORT_CACHE_DIR`` or ``<home>/cache/report``)."""
    value = get("KERUEN_REPORT_CACHE_DIR")
    return Path(value).expanduser() if value else home() / "cache" / "report"


def cache_dir() -> Path:
    """Folder of the on-disk HTTP cache (``KERUEN_CACHE_DIR`` or ``<home>/cache/http``)."""
    value = get("KERUEN_CACHE_DIR")
    return Path(value).expanduser() if value else home() / "cache" / "http"
