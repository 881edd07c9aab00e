"""Load a ``gnss-watch replay --out DIR`` directory back into a :class:`~gnss_watch.pipeline.Results`.

The report and the notebooks work on either a fresh replay or its saved
outputs; this module makes the second look like the first::

    from gnss_watch.results import load_results
    res = load_results("out")
    res.events, res.zones          # zones with shapely polygons again

Text read back from the CSVs stays as written: cells that ``write_csv``
neutralised against formula injection keep their leading quote.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from shapely.geometry import shape

from .config import Config
from .detect import Detection
from .events import EVENT_COLUMNS
from .ingest import Dataset
from .outputs import csv_unsafe
from .pipeline import Results
from .schema import BASE_STATION_DTYPES, POSITIONS, VESSEL_DTYPES, conform
from .zones import GRID_COLUMNS, ZONE_COLUMNS

#: Files a replay output directory must hold for :func:`load_results`.
REQUIRED_FILES = ("positions.parquet", "events.csv", "zones.geojson", "grid.csv", "summary.json")
_TEXT = {"event_id", "kind", "reasons", "zone_id", "group_id", "cell", "level", "name", "callsign", "destination",
         "method", "station"}


def _read_csv(path: Path, columns: list[str], times: tuple[str, ...] = ()) -> pd.DataFrame:
    """A CSV written by :func:`gnss_watch.outputs.write_csv`: blanks are NaN, except in text columns (''),
    whose formula neutralisation is undone (the text as it came from AIS)."""
    if not path.is_file():
        return pd.DataFrame({c: [] for c in columns})
    # keep_default_na=False: a ship named 'NA' or 'NULL' stays a name.
    df = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={c: str for c in _TEXT})
    for c in df.columns.intersection(list(_TEXT)):
        df[c] = df[c].fillna("").astype(str).map(csv_unsafe)
    for c in times:
        if c in df.columns:
            df[c] = pd.to_datetime(df[c], utc=True, format="ISO8601")
    return df


def _zones(path: Path) -> pd.DataFrame:
    """zones.geojson as the zones table (:data:`gnss_watch.zones.ZONE_COLUMNS`), polygons as shapely."""
    features = json.loads(path.read_text(encoding="utf-8"))["features"] if path.is_file() else []
    rows = [{**f["properties"], "centre_lon": f["properties"]["centre"][0], "centre_lat": f["properties"]["centre"][1],
             "geometry": shape(f["geometry"])} for f in features]  # a handful of zones
    df = pd.DataFrame(rows).reindex(columns=ZONE_COLUMNS)
    for c in ("start", "end"):
        df[c] = pd.to_datetime(df[c], utc=True, format="ISO8601")
    df["zone_id"] = df["zone_id"].astype(str)
    return df


def load_results(out_dir: str | Path, config: Config | None = None) -> Results:
    """Results of an earlier replay from its output directory.

    ``config`` is the configuration that replay ran with; when omitted, the
    ``config.toml`` the replay wrote, else (older outputs) the defaults. Raises
    FileNotFoundError when ``out_dir`` is not a replay output directory.
    """
    out = Path(out_dir)
    if not out.is_dir():
        raise FileNotFoundError(f"{out}: no such directory")
    if missing := [f for f in REQUIRED_FILES if not (out / f).is_file()]:
        raise FileNotFoundError(f"{out}: not a 'gnss-watch replay --out' directory (missing {', '.join(missing)})")
    reports = pd.read_parquet(out / "positions.parquet")
    vessels = conform(_read_csv(out / "vessels.csv", list(VESSEL_DTYPES)), VESSEL_DTYPES)
    base = _read_csv(out / "base_stations.csv", list(BASE_STATION_DTYPES), times=("time", "utc"))
    events = _read_csv(out / "events.csv", EVENT_COLUMNS, times=("start", "end")).reindex(columns=EVENT_COLUMNS)
    for c in ("event_id", "kind", "reasons", "zone_id", "group_id"):
        events[c] = events[c].fillna("").astype(str)
    cells = _read_csv(out / "grid.csv", GRID_COLUMNS, times=("hour",))
    ds = Dataset(positions=reports[[c for c in POSITIONS if c in reports.columns]], vessels=vessels,
                 base_stations=base)
    det = Detection(reports=reports, events=events, zones=_zones(out / "zones.geojson"), grid=cells,
                    base_stations=base)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    if config is None:
        config = Config.from_toml(out / "config.toml") if (out / "config.toml").is_file() else Config()
    return Results(ds, det, summary, config)
