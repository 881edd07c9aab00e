"""Load a ``gnss-watch replay --out DIR`` directory back into a :class:`~gnss_watch.pipeline.Results`.

The report and the notebooks work on either a fresh replay or its saved
outputs; this module makes the second look like the first::

    from gnss_watch.results import load_results
    res = load_results("out")
    res.events, res.zones          # zones with shapely polygons again

Text read back from the CSVs stays as written: cells that ``write_csv``
neutralised against formula injection keep their leading quote.

Files that parse but lack what the report reads (a column, a summary field of
the wrong type, a zone without a polygon) raise :class:`ResultsError` naming
the file and the fault, so a damaged directory is an error, never a crash.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
from shapely.geometry import Polygon, shape

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


class ResultsError(ValueError):
    """A replay output file that is there and parses but has the wrong shape; the message names the
    file and what is wrong (``gnss-watch report`` exits 2 with it)."""


# --- what the report relies on ---------------------------------------------------------------------


class _Columns(NamedTuple):
    """Columns a table must have, by what they must hold; ``complete`` ones (times or numbers) no blanks."""

    times: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    complete: tuple[str, ...] = ()


#: positions.parquet columns the report and plots read.
_POSITION_COLUMNS = _Columns(times=("time",), numbers=("mmsi", "lat", "lon", "sog", "implied_sog_kn"),
                             flags=("pos_valid",), text=("event_id", "kind", "zone_id"), complete=("mmsi",))
#: events.csv: every column of the contract (:data:`gnss_watch.events.EVENT_COLUMNS`).
_EVENT_COLUMNS = _Columns(times=("start", "end"), numbers=("mmsi", "n_reports", "lat", "lon", "score", "true_lat",
                                                           "true_lon", "claimed_lat", "claimed_lon"),
                          text=("event_id", "kind", "reasons", "zone_id", "group_id"),
                          complete=("mmsi", "start", "end", "n_reports"))
#: grid.csv columns the report reads.
_GRID_COLUMNS = _Columns(times=("hour",), numbers=("lat", "lon", "n_vessels", "n_bad", "bad_frac"), text=("level",))
#: zones.geojson feature properties the report reads (times, numbers, text); 'centre' is [lon, lat].
_ZONE_PROPERTIES = (("start", "end"), ("n_vessels", "n_reports", "confidence", "radius_km"), ("zone_id",))

_COUNT, _SCALAR = "a number", "a JSON scalar"


class _MapOf:
    """A JSON object with any keys, every value of one shape."""

    def __init__(self, value: Any) -> None:
        self.value = value


#: summary.json fields the report reads (all optional: older outputs lack some); a dict is a JSON object
#: with these keys.
_SUMMARY_SHAPE = {
    "version": _SCALAR, "inputs": _MapOf(_SCALAR),
    "lines": {"read": _COUNT, "used": _COUNT, "skipped": _MapOf(_COUNT)},
    "messages": {"decoded": _COUNT, "by_type": _MapOf(_COUNT)},
    "time_span": {"start": _SCALAR, "end": _SCALAR},
    "vessels": _COUNT, "positions": _COUNT, "positions_unavailable": _COUNT, "segments": _COUNT,
    "base_stations": _COUNT,
    "detection": {"flagged_reports": _MapOf(_COUNT), "checks_fired": _MapOf(_COUNT), "spoofing_events": _COUNT,
                  "spoofed_vessels": _COUNT, "jamming_events": _COUNT, "jammed_vessels": _COUNT,
                  "jamming_zones": _COUNT},
}


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    return "a list" if isinstance(value, list) else "an object" if isinstance(value, dict) else type(value).__name__


def _check_json(value: Any, shape_: Any, file: str, where: str = "") -> None:
    """Raise ResultsError at the first place ``value`` (at ``where`` in ``file``) does not have ``shape_``:
    _COUNT, _SCALAR, a _MapOf or a dict of optional keys (:data:`_SUMMARY_SHAPE`)."""
    if shape_ is _COUNT:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    elif shape_ is _SCALAR:
        ok = value is None or isinstance(value, (str, int, float, bool))
    else:
        ok = isinstance(value, dict)
    if not ok:
        expected = shape_ if isinstance(shape_, str) else "a JSON object"
        raise ResultsError(f"{file}: {where + ' ' if where else ''}should be {expected}, not {_json_kind(value)}")
    if isinstance(shape_, _MapOf):
        inner = [(k, v, shape_.value) for k, v in value.items()]
    elif isinstance(shape_, dict):
        inner = [(k, value[k], shape_[k]) for k in shape_ if k in value]
    else:
        inner = []
    for k, v, sub in inner:
        _check_json(v, sub, file, f"{where}.{k}" if where else str(k))


def _summary(path: Path) -> dict[str, Any]:
    summary = json.loads(path.read_text(encoding="utf-8"))
    _check_json(summary, _SUMMARY_SHAPE, "summary.json")
    return summary


def _check_table(df: pd.DataFrame, name: str, columns: _Columns) -> pd.DataFrame:
    """``df`` (read from ``name``) once it has ``columns`` holding what they should; naive times are taken
    as UTC. Raises ResultsError naming the file and the column."""
    if missing := [c for c in dict.fromkeys(c for group in columns for c in group) if c not in df.columns]:
        raise ResultsError(f"{name}: missing column{'s' * (len(missing) > 1)} {', '.join(missing)}")
    if not len(df):  # a header alone: nothing to be of the wrong type
        return df
    for c in columns.times:
        if not pd.api.types.is_datetime64_any_dtype(df[c]):
            raise ResultsError(f"{name}: column {c} should hold times, not {df[c].dtype}")
        if getattr(df[c].dtype, "tz", None) is None:
            df[c] = df[c].dt.tz_localize("UTC")
    for c in columns.numbers:
        if not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]):
            raise ResultsError(f"{name}: column {c} should hold numbers, not {df[c].dtype}")
    for c in columns.flags:
        if not pd.api.types.is_bool_dtype(df[c]):
            raise ResultsError(f"{name}: column {c} should hold true/false, not {df[c].dtype}")
    for c in columns.complete:
        if (blank := df[c].isna().to_numpy()).any():
            raise ResultsError(f"{name}: column {c} is blank in row {int(blank.argmax()) + 1}")
    return df


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
    doc = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"features": []}
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        raise ResultsError("zones.geojson: should be a GeoJSON FeatureCollection (an object with a features list)")
    times, numbers, text = _ZONE_PROPERTIES
    rows = []
    for i, f in enumerate(features):  # a handful of zones
        where = f"zones.geojson: feature {i + 1}"  # file and place, for _check_json and messages
        props = f.get("properties") if isinstance(f, dict) else None
        if not isinstance(props, dict):
            raise ResultsError(f"{where} has no properties object")
        if missing := [k for k in (*times, *numbers, *text, "centre") if k not in props]:
            raise ResultsError(f"{where} lacks {', '.join(missing)}")
        for k in numbers:
            _check_json(props[k], _COUNT, where, k)
        for k in (*times, *text):
            if not isinstance(props[k], str):
                raise ResultsError(f"{where}: {k} should be a string, not {_json_kind(props[k])}")
        centre = props["centre"]
        if not (isinstance(centre, list) and len(centre) == 2):
            raise ResultsError(f"{where}: centre should be [lon, lat], not {_json_kind(centre)}")
        for v in centre:
            _check_json(v, _COUNT, where, "centre")
        try:
            geometry = shape(f["geometry"])
        except Exception as exc:  # shapely says KeyError, TypeError, AttributeError or its own errors
            raise ResultsError(f"{where}: unreadable geometry ({type(exc).__name__})") from None
        if not isinstance(geometry, Polygon) or geometry.is_empty:
            raise ResultsError(f"{where}: geometry should be a Polygon, not {geometry.geom_type}")
        rows.append({**props, "centre_lon": centre[0], "centre_lat": centre[1], "geometry": geometry})
    df = pd.DataFrame(rows).reindex(columns=ZONE_COLUMNS)
    for c in ("start", "end"):
        df[c] = pd.to_datetime(df[c], utc=True, format="ISO8601")
        if df[c].isna().any():
            raise ResultsError(f"zones.geojson: a zone's {c} is blank")
    df["zone_id"] = df["zone_id"].astype(str)
    return df


def load_results(out_dir: str | Path, config: Config | None = None) -> Results:
    """Results of an earlier replay from its output directory.

    ``config`` is the configuration that replay ran with; when omitted, the
    ``config.toml`` the replay wrote, else (older outputs) the defaults. Raises
    FileNotFoundError when ``out_dir`` is not a replay output directory
    (NotADirectoryError when it is a file), ResultsError (a ValueError) when a
    file has the wrong shape: a column the report needs missing or of the wrong
    type, summary.json not an object of the expected fields. Unparseable files
    raise what their parser raises (ValueError, KeyError or OSError).
    """
    out = Path(out_dir)
    if out.is_file():
        raise NotADirectoryError(f"{out}: is a file, not a 'gnss-watch replay --out' directory")
    if not out.is_dir():
        raise FileNotFoundError(f"{out}: no such directory")
    if missing := [f for f in REQUIRED_FILES if not (out / f).is_file()]:
        raise FileNotFoundError(f"{out}: not a 'gnss-watch replay --out' directory (missing {', '.join(missing)})")
    reports = _check_table(pd.read_parquet(out / "positions.parquet"), "positions.parquet", _POSITION_COLUMNS)
    vessels = conform(_read_csv(out / "vessels.csv", list(VESSEL_DTYPES)), VESSEL_DTYPES)
    base = _read_csv(out / "base_stations.csv", list(BASE_STATION_DTYPES), times=("time", "utc"))
    events = _check_table(_read_csv(out / "events.csv", EVENT_COLUMNS, times=("start", "end")), "events.csv",
                          _EVENT_COLUMNS).reindex(columns=EVENT_COLUMNS)
    for c in ("event_id", "kind", "reasons", "zone_id", "group_id"):
        events[c] = events[c].fillna("").astype(str)
    cells = _check_table(_read_csv(out / "grid.csv", GRID_COLUMNS, times=("hour",)), "grid.csv", _GRID_COLUMNS)
    ds = Dataset(positions=reports[[c for c in POSITIONS if c in reports.columns]], vessels=vessels,
                 base_stations=base)
    det = Detection(reports=reports, events=events, zones=_zones(out / "zones.geojson"), grid=cells,
                    base_stations=base)
    summary = _summary(out / "summary.json")
    if config is None:
        config = Config.from_toml(out / "config.toml") if (out / "config.toml").is_file() else Config()
    return Results(ds, det, summary, config)
