"""The canonical tables every stage passes along, in one place.

Each stage takes and returns plain :class:`pandas.DataFrame` objects with the
columns below. Units are SI-adjacent maritime units: knots for speed, degrees
for angles (0..360 clockwise from true north), metres for distance, seconds for
time spans, and UTC for every timestamp.

``POSITIONS`` -- one row per position report (AIS types 1, 2, 3, 18, 19, 27,
plus 9 for SAR aircraft and 21 for aids to navigation, told apart by
``device``):

============  ===================  ==================================================
column        dtype                meaning
============  ===================  ==================================================
time          datetime64[ns, UTC]  receive time (or dated from the message, see
                                   ``time_source``)
mmsi          int64                Maritime Mobile Service Identity
lat, lon      float64              degrees WGS84; NaN when the report says 'not
                                   available' (91 / 181)
sog           float64              speed over ground, knots; NaN when 'not available'
                                   (102.3 kn, type 27: 63 kn)
cog           float64              course over ground, degrees; NaN when 360 (511 for 27)
heading       float64              true heading, degrees; NaN when 511
rot           float64              rate of turn as pyais decodes it (deg/min); NaN
                                   when not available or not sent
accuracy      int8                 position accuracy flag: 1 high (< 10 m, DGNSS),
                                   0 low; -1 when the source does not carry it
raim          int8                 RAIM in use (1) or not (0); -1 unknown
second        int8                 raw UTC-second field 0..63: 60 not available,
                                   61 manual input, 62 dead reckoning, 63 positioning
                                   system inoperative; -1 when the source does not
                                   carry it (CSV exports)
nav_status    int8                 navigational status 0..15 (15 = not defined; Class B
                                   does not send one: 15); -1 when the source lacks it
msg_type      int8                 AIS message type (0 for decoded CSV/JSON sources)
device        category             'A' (1/2/3), 'B' (18/19), 'A-LR' (27), 'SAR' (9),
                                   'AtoN' (21), or '?' (CSV/JSON without a class)
station       category             receiving station / source where known, else ''
time_source   category             'tagblock', 'pghp', 'leading', 'trailing',
                                   'basestation', 'start', 'csv', 'json', or
                                   'arrival' (a live stream without times of its own)
============  ===================  ==================================================

:func:`gnss_watch.tracks.build_tracks` adds ``TRACK_COLUMNS`` (see there).

``VESSELS`` -- one row per MMSI with the latest static data (types 5, 19, 24,
or the CSV's static columns): ``mmsi, name, callsign, imo, ship_type,
to_bow, to_stern, to_port, to_starboard`` (metres), ``epfd`` (position fixing
device type 0..15), ``destination``, ``draught`` (metres), ``n_static``
(static messages seen). Text fields are exactly as transmitted (attacker
controlled): escape them wherever they are rendered.

``BASE_STATIONS`` -- one row per type 4 report: ``time`` (receive time),
``mmsi``, ``lat``, ``lon``, ``utc`` (the UTC the station reported, NaT when
any of its fields is 'not available'), ``utc_valid`` (nullable boolean: NA
when the source carries no type 4 UTC fields, e.g. a CSV export), ``utc_offset_s``
(reported UTC minus receive time, seconds; NaN without both), ``accuracy``,
``raim``, ``epfd``, ``station``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

UTC = "UTC"
_ISO_MS = "%Y-%m-%dT%H:%M:%S.%f"

POSITION_DTYPES: dict[str, str] = {
    "time": "datetime64[ns, UTC]",
    "mmsi": "int64",
    "lat": "float64",
    "lon": "float64",
    "sog": "float64",
    "cog": "float64",
    "heading": "float64",
    "rot": "float64",
    "accuracy": "int8",
    "raim": "int8",
    "second": "int8",
    "nav_status": "int8",
    "msg_type": "int8",
    "device": "category",
    "station": "category",
    "time_source": "category",
}
POSITIONS = list(POSITION_DTYPES)

VESSEL_DTYPES: dict[str, str] = {
    "mmsi": "int64",
    "name": "object",
    "callsign": "object",
    "imo": "Int64",
    "ship_type": "Int16",
    "to_bow": "Int16",
    "to_stern": "Int16",
    "to_port": "Int16",
    "to_starboard": "Int16",
    "epfd": "Int8",
    "destination": "object",
    "draught": "float64",
    "n_static": "int32",
}
VESSELS = list(VESSEL_DTYPES)

BASE_STATION_DTYPES: dict[str, str] = {
    "time": "datetime64[ns, UTC]",
    "mmsi": "int64",
    "lat": "float64",
    "lon": "float64",
    "utc": "datetime64[ns, UTC]",
    "utc_valid": "boolean",
    "utc_offset_s": "float64",
    "accuracy": "int8",
    "raim": "int8",
    "epfd": "int8",
    "station": "category",
}
BASE_STATIONS = list(BASE_STATION_DTYPES)

# AIS 'not available' sentinels (ITU-R M.1371-5, message 1 field table).
LAT_NA = 91.0
LON_NA = 181.0
SOG_NA = 102.3
COG_NA = 360.0
HEADING_NA = 511
SECOND_NA = 60
SECOND_MANUAL = 61
SECOND_DEAD_RECKONING = 62
SECOND_INOPERATIVE = 63

DEVICE_BY_TYPE: dict[int, str] = {1: "A", 2: "A", 3: "A", 18: "B", 19: "B", 27: "A-LR", 9: "SAR", 21: "AtoN"}
#: Type 27 (long-range broadcast): positions in 1/10 minute (185 m of latitude, the step
#: below) instead of 1/10000, so a slow ship's live fix repeats in it.
LONG_RANGE_DEVICE = DEVICE_BY_TYPE[27]
LONG_RANGE_POSITION_STEP_M = 1852.0 / 10
POSITION_TYPES = frozenset(DEVICE_BY_TYPE)


def unix_seconds(times: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Seconds since the epoch (float64) of tz-aware UTC times, whatever their resolution."""
    return pd.DatetimeIndex(times).as_unit("ns").asi8 / 1e9


def utc_from_unix(seconds: np.ndarray) -> pd.DatetimeIndex:
    """Unix seconds back to UTC times, rounded to the microsecond a float64 epoch resolves."""
    micros = np.round(np.asarray(seconds, dtype=float) * 1e6)
    return pd.to_datetime(micros, unit="us", utc=True).as_unit("ns")


def iso_utc(t: pd.Timestamp | float | None) -> str | None:
    """One UTC time (a Timestamp, or unix seconds) as ISO 8601 text with milliseconds and
    'Z', the form of every time the outputs write; None when missing."""
    if t is None or pd.isna(t):
        return None
    if not isinstance(t, pd.Timestamp):
        # to the microsecond a float64 epoch resolves (as utc_from_unix): 1070858923.612 is
        # stored as ...611999..., which would otherwise print as .611
        t = pd.Timestamp(round(float(t) * 1e6), unit="us", tz=UTC)
    return t.strftime(_ISO_MS)[:-3] + "Z"


def iso_utc_series(times: pd.Series) -> pd.Series:
    """:func:`iso_utc` over a datetime column; NaT stays missing."""
    return times.dt.strftime(_ISO_MS).str.slice(0, -3) + "Z"


def empty(dtypes: dict[str, str]) -> pd.DataFrame:
    """An empty frame with the given columns and dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in dtypes.items()})


def conform(df: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    """Return ``df`` with exactly the schema's columns, in order, cast to its dtypes.

    Missing columns are filled with the column's 'unknown' value (NaN, -1, '' or
    NA), so every reader can hand over what its source carries and no more.
    """
    out = {}
    n = len(df)
    for col, dtype in dtypes.items():
        if col in df.columns:
            s = df[col]
        elif dtype.startswith("float"):
            s = pd.Series(np.full(n, np.nan), index=df.index)
        elif dtype in ("int8", "int16", "int32", "int64"):
            s = pd.Series(np.full(n, -1, dtype=dtype), index=df.index)
        elif dtype == "category":
            s = pd.Series([""] * n, index=df.index, dtype="object")
        elif dtype == "bool":
            s = pd.Series(np.zeros(n, dtype=bool), index=df.index)
        elif dtype == "boolean":
            s = pd.Series(pd.NA, index=df.index, dtype="boolean")
        elif dtype.startswith("datetime"):
            s = pd.Series(pd.NaT, index=df.index, dtype=dtype)
        else:
            s = pd.Series([pd.NA] * n, index=df.index, dtype=dtype if dtype != "object" else "object")
        if dtype.startswith("datetime"):
            s = pd.to_datetime(s, utc=True).astype(dtype)
        elif dtype == "category":
            s = s.astype("object").where(s.notna(), "").astype(str).astype("category")
        else:
            s = s.astype(dtype)
        out[col] = s
    return pd.DataFrame(out, index=df.index)
