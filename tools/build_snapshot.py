"""Rebuild the bundled snapshot (src/keruen/data/snapshot/) from the project's shared data.

Run by a maintainer when ../shared/data changes; not at install or test time:

    python tools/build_snapshot.py ../shared/data

Each output file is a tidy table in the shape the store ingests (dataset, measure, ref_area,
counterpart_area, breakdown, period, value, unit, obs_status) written as zstd-compressed
Parquet; ``manifest.toml`` beside them carries each file's provenance (publisher, URL, licence,
vintage, origin, sha256 of the original). Values are not altered; the only transformations are
reshaping, renaming, unit labels, area names replaced by their codes (NAME_CODES), UN DESA's
".." cells stored as missing, and the documented recoding of KNOMAD's zero cells (which the
source uses for "no data") to missing values with status "M".
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import duckdb

OUT = Path(__file__).resolve().parents[1] / "src" / "keruen" / "data" / "snapshot"
COLS = "dataset, measure, ref_area, counterpart_area, breakdown, period, value, unit, obs_status"

WDI_UNITS = {
    "BX.TRF.PWKR.CD.DT": "current USD",
    "BM.TRF.PWKR.CD.DT": "current USD",
    "BX.TRF.PWKR.DT.GD.ZS": "percent of GDP",
    "SP.POP.TOTL": "persons",
    "NY.GDP.MKTP.CD": "current USD",
}


#: Area names that some source files use in place of a code.
NAME_CODES = {"World": "WLD", "Low-and Middle-Income Countries": "LMY", "Channel Islands": "CHI"}


def code(column: str) -> str:
    """SQL mapping a code column whose cells are sometimes names (see NAME_CODES)."""
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in NAME_CODES.items())
    return f"CASE {column} {cases} ELSE {column} END"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write(con: duckdb.DuckDBPyConnection, sql: str, name: str) -> int:
    target = OUT / f"{name}.parquet"
    con.execute(
        f"COPY (SELECT {COLS} FROM ({sql}) ORDER BY ALL) TO '{target}' "
        "(FORMAT parquet, COMPRESSION zstd)"
    )
    n = con.execute(f"SELECT count(*) FROM '{target}'").fetchone()[0]  # type: ignore[index]
    print(f"{name}: {n} rows, {target.stat().st_size / 1024:.0f} KiB")
    return int(n)


def write_wpp(con: duckdb.DuckDBPyConnection, shared: Path) -> int:
    """UN WPP 2024 births, deaths, net migration and rates: countries only (rows with an ISO3)."""
    wpp = shared / "un_wpp" / "wpp2024_vital_migration_long.csv"
    return write(
        con,
        f"""SELECT 'UN_WPP' AS dataset, measure, iso3 AS ref_area, NULL AS counterpart_area,
               NULL AS breakdown, CAST(year AS VARCHAR) AS period, value, unit,
               'E' AS obs_status
            FROM read_csv('{wpp}', header=true, quote='"',
                          types={{'iso3': 'VARCHAR', 'value': 'DOUBLE'}})
            WHERE iso3 IS NOT NULL AND iso3 <> ''""",
        "un_wpp_2024_vital_migration",
    )


def write_costs(con: duckdb.DuckDBPyConnection, shared: Path) -> int:
    """Remittance costs (SDG 10.c.1): SI.RMT.COST.OB.ZS from a country, .IB.ZS to a country."""
    costs = shared / "wb_wdi" / "wdi_remittance_costs_long.csv"
    return write(
        con,
        f"""SELECT 'WB_WDI' AS dataset, indicator AS measure, country_iso3 AS ref_area,
               NULL AS counterpart_area, NULL AS breakdown, CAST(year AS VARCHAR) AS period,
               value, 'percent of amount sent' AS unit, 'A' AS obs_status
            FROM read_csv('{costs}', header=true, all_varchar=false)
            WHERE vintage = 'wdi_2023-05-10' AND value IS NOT NULL""",
        "wb_wdi_remittance_costs_2023-05-10",
    )


def main(shared: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    wdi = shared / "wb_wdi" / "wdi_long.csv"
    units = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in WDI_UNITS.items())
    for vintage in [
        "wdi_2025-07-01",
        "wdi_2023-05-10",
        "datahub_pop_2026-03",
        "datahub_gdp_2026-03",
    ]:
        write(
            con,
            f"""SELECT 'WB_WDI' AS dataset, indicator AS measure, country_iso3 AS ref_area,
                   NULL AS counterpart_area, NULL AS breakdown, CAST(year AS VARCHAR) AS period,
                   value, CASE indicator {units} END AS unit, 'A' AS obs_status
                FROM read_csv('{wdi}', header=true, all_varchar=false)
                WHERE vintage = '{vintage}'""",
            f"wb_wdi_{vintage}",
        )
    write_costs(con, shared)
    knomad = shared / "wb_knomad" / "knomad_remittance_flows_2023_06.csv"
    write(
        con,
        f"""SELECT 'WB_KNOMAD_REMITTANCES' AS dataset, 'remittance_' || flow AS measure,
               {code("country_iso3")} AS ref_area, NULL AS counterpart_area, NULL AS breakdown,
               CAST(year AS VARCHAR) AS period,
               CASE WHEN usd_million = 0 THEN NULL ELSE usd_million END AS value,
               'USD million' AS unit,
               CASE WHEN usd_million = 0 THEN 'M' ELSE 'A' END AS obs_status
            FROM read_csv('{knomad}', header=true)""",
        "wb_knomad_remittances_2023-06",
    )
    bilat_rem = shared / "wb_knomad" / "bilateral_remittances_2017_long.csv"
    write(
        con,
        f"""SELECT 'WB_BILATERAL_REMITTANCES' AS dataset, 'bilateral_remittances' AS measure,
               {code("receiving_iso3")} AS ref_area, {code("sending_iso3")} AS counterpart_area,
               NULL AS breakdown, CAST(year AS VARCHAR) AS period, usd_million AS value,
               'USD million' AS unit, 'E' AS obs_status
            FROM read_csv('{bilat_rem}', header=true)""",
        "wb_bilateral_remittances_2017",
    )
    bilat_stock = shared / "wb_knomad" / "bilateral_migrant_stocks_2017_long.csv"
    write(
        con,
        f"""SELECT 'WB_BILATERAL_MIGRANT_STOCKS' AS dataset, 'migrant_stock' AS measure,
               {code("destination_iso3")} AS ref_area, {code("origin_iso3")} AS counterpart_area,
               NULL AS breakdown, CAST(year AS VARCHAR) AS period, migrants AS value,
               'persons' AS unit, 'E' AS obs_status
            FROM read_csv('{bilat_stock}', header=true)""",
        "wb_bilateral_migrant_stocks_2017",
    )
    ims19 = shared / "un_desa_ims" / "ims2019_bilateral_long.csv"
    write(
        con,
        f"""SELECT 'UNDESA_IMS' AS dataset, 'migrant_stock' AS measure, dest_iso3 AS ref_area,
               origin_iso3 AS counterpart_area, NULL AS breakdown,
               CAST(year AS VARCHAR) AS period, stock AS value, 'persons' AS unit,
               'A' AS obs_status
            FROM read_csv('{ims19}', header=true)""",
        "undesa_ims_2019_bilateral",
    )
    ims20 = shared / "un_desa_ims" / "ims2020_total_by_destination_long.csv"
    write(
        con,
        f"""SELECT 'UNDESA_IMS' AS dataset, 'migrant_stock' AS measure,
               CASE WHEN m49 = '900' THEN 'WLD' ELSE iso3 END AS ref_area,
               'WLD' AS counterpart_area,
               CASE sex WHEN 'both' THEN NULL ELSE 'sex=' || sex END AS breakdown,
               CAST(year AS VARCHAR) AS period, TRY_CAST(migrant_stock AS DOUBLE) AS value,
               'persons' AS unit,
               CASE WHEN TRY_CAST(migrant_stock AS DOUBLE) IS NULL THEN 'M' ELSE 'A' END
                   AS obs_status
            FROM read_csv('{ims20}', header=true, all_varchar=true)
            WHERE (iso3 IS NOT NULL AND is_country = 'True') OR m49 = '900'""",
        "undesa_ims_2020_totals",
    )
    pop = shared / "kz_bns" / "kz_region_population_2000_2023.csv"
    write(
        con,
        f"""SELECT 'KZ_BNS_POPULATION' AS dataset, 'population' AS measure,
               iso_3166_2 AS ref_area, NULL AS counterpart_area, NULL AS breakdown,
               CAST(year AS VARCHAR) AS period, population AS value, 'persons' AS unit,
               'A' AS obs_status
            FROM read_csv('{pop}', header=true)""",
        "kz_bns_region_population_2000-2023",
    )
    popsex = shared / "kz_bns" / "kz_region_population_by_sex_2023-01-01.csv"
    write(
        con,
        f"""SELECT 'KZ_BNS_POPULATION' AS dataset, 'population' AS measure,
               iso_3166_2 AS ref_area, NULL AS counterpart_area, 'sex=' || s.sex AS breakdown,
               '2023' AS period, s.value AS value, 'persons' AS unit, 'A' AS obs_status
            FROM (UNPIVOT (SELECT iso_3166_2, male, female FROM read_csv('{popsex}',
                  header=true)) ON male, female INTO NAME sex VALUE value) s""",
        "kz_bns_region_population_by_sex_2023",
    )
    write_wpp(con, shared)
    for path in sorted(shared.rglob("*.csv")):
        print(f"  sha256 {path.relative_to(shared)} {sha256(path)}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    shared_dir = Path(args[0] if args else "../shared/data").resolve()
    if "--only-wpp" in sys.argv:  # add WPP without rewriting (and re-hashing) the other files
        OUT.mkdir(parents=True, exist_ok=True)
        write_wpp(duckdb.connect(), shared_dir)
    else:
        main(shared_dir)
