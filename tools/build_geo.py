"""Rebuild the bundled map outlines (src/keruen/data/geo/) from the project's shared data.

Run by a maintainer, not at install or test time (needs shapely):

    python tools/build_geo.py ../shared/data

World: Natural Earth 1:110m countries, coordinates rounded to 0.01° (about 1 km, far below the
map's resolution), properties cut to iso3 and name. Kazakhstan: the 20 current regions from
OpenStreetMap, simplified with Douglas-Peucker (0.01°, topology preserved) to a size a web page
can carry, exterior rings clockwise as d3-geo expects. Provenance of both: data/geo/manifest.toml.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "src" / "keruen" / "data" / "geo"


def _round(coords: Any) -> Any:
    if coords and isinstance(coords[0], int | float):
        return [round(coords[0], 2), round(coords[1], 2)]
    return [_round(c) for c in coords]


def world(shared: Path) -> None:
    src = shared / "geo" / "world_countries_ne110m.geojson"
    g = json.loads(src.read_text("utf-8"))
    for f in g["features"]:
        f["geometry"]["coordinates"] = _round(f["geometry"]["coordinates"])
        f["properties"] = {"iso3": f["properties"].get("iso3"), "name": f["properties"]["name"]}
    _write(g, "world_countries_ne110m.geojson", src)


def kazakhstan(shared: Path) -> None:
    from shapely.geometry import MultiPolygon, Polygon, mapping, shape
    from shapely.geometry.polygon import orient

    src = shared / "geo" / "kz_admin1_2022_20units_osm.geojson"
    g = json.loads(src.read_text("utf-8"))
    for f in g["features"]:
        geom = shape(f["geometry"]).simplify(0.01, preserve_topology=True)
        # d3-geo (Vega's projections) reads rings on the sphere: exterior rings must run
        # clockwise, or a region is drawn as the whole globe minus the region
        if isinstance(geom, Polygon):
            geom = orient(geom, sign=-1.0)
        elif isinstance(geom, MultiPolygon):
            geom = MultiPolygon([orient(p, sign=-1.0) for p in geom.geoms])
        f["geometry"] = json.loads(json.dumps(mapping(geom)))
        f["geometry"]["coordinates"] = _round(f["geometry"]["coordinates"])
        p = f["properties"]
        f["properties"] = {
            "iso_3166_2": p["iso_3166_2"],
            "name": p["name"],
            "name_kk": p["local_name"],
            "name_ru": p["name_ru"],
        }
    _write(g, "kz_regions_2022_osm_simplified.geojson", src)


def _write(g: dict[str, Any], name: str, src: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    text = json.dumps(g, separators=(",", ":"), ensure_ascii=False)
    (OUT / name).write_text(text, "utf-8")
    sha = hashlib.sha256(src.read_bytes()).hexdigest()
    print(f"{name}: {len(text) / 1024:.0f} KiB from {src.name} (sha256 {sha})")


if __name__ == "__main__":
    shared_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data").resolve()
    world(shared_dir)
    kazakhstan(shared_dir)
