"""The hourly grid of the share of vessels affected per cell.

Grid
    :func:`grid`: hourly share of vessels affected per cell in the manner of
    gpsjam.org, ``bad_frac = max(0, (bad - 1) / (bad + good))``. The ``h3``
    package is not installed, so cells are ``grid_cell_lat_deg`` x
    ``grid_cell_lon_deg`` (0.25 x 0.5 deg: ~28 x 28 km at 60 N, ~770 km2,
    under half an H3 resolution-4 cell's ~1770 km2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..events import epoch_s, sorted_columns, to_time
from ..config import ZonesConfig

GRID_COLUMNS = ["hour", "cell", "lat", "lon", "n_vessels", "n_bad", "n_good", "bad_frac", "level"]


def grid(reports: pd.DataFrame, config: ZonesConfig | None = None) -> pd.DataFrame:
    """Hourly share of affected vessels per grid cell (gpsjam.org style).

    A vessel is bad in a cell-hour when any of its reports there is of kind
    'jamming', else good. Reports without a position are placed by
    interpolating the vessel's valid fixes within ``grid_locate_max_gap_s``
    (or the nearer one alone); reports that cannot be placed are left out.
    Returns :data:`GRID_COLUMNS`: ``hour`` (tz-aware UTC, start of the hour),
    ``cell`` (e.g. '59.75N_027.50E', its south-west corner), ``lat``/``lon``
    (cell centre, degrees), ``n_vessels``, ``n_bad``, ``n_good``,
    ``bad_frac`` = max(0, (n_bad - 1) / n_vessels) and ``level`` ('low' below
    ``grid_medium_frac``, 'high' above ``grid_high_frac``, else 'medium').
    """
    cfg = config or ZonesConfig()
    _, df = sorted_columns(reports, ["time", "mmsi", "lat", "lon", "pos_valid", "kind"])
    n = len(df)
    t = epoch_s(df["time"])
    mmsi = df["mmsi"].to_numpy()
    valid = df["pos_valid"].to_numpy(dtype=bool)
    lat = df["lat"].to_numpy(dtype=float)
    lon = df["lon"].to_numpy(dtype=float)
    ar = np.arange(n)
    prev = np.maximum.accumulate(np.where(valid, ar, -1))  # a valid row is its own previous fix
    nxt = np.minimum.accumulate(np.where(valid, ar, n)[::-1])[::-1]
    pc, nc = np.clip(prev, 0, n - 1), np.clip(nxt, 0, n - 1)
    dtp, dtn = t - t[pc], t[nc] - t
    ok_p = (prev >= 0) & (mmsi[pc] == mmsi) & (dtp <= cfg.grid_locate_max_gap_s)
    ok_n = (nxt < n) & (mmsi[nc] == mmsi) & (dtn <= cfg.grid_locate_max_gap_s)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(ok_p & ok_n & (dtp + dtn > 0), dtp / (dtp + dtn), np.where(ok_p, 0.0, 1.0))
    plat = np.where(ok_p, lat[pc], lat[nc])
    plon = np.where(ok_p, lon[pc], lon[nc])
    qlat = np.where(ok_n, lat[nc], plat)
    qlon = np.where(ok_n, lon[nc], plon)
    located = ok_p | ok_n
    glat = plat + w * (qlat - plat)
    glon = plon + w * (qlon - plon)

    cells = pd.DataFrame({
        "hour": np.floor(t / 3600.0) * 3600.0,
        "row": np.floor(glat / cfg.grid_cell_lat_deg),
        "col": np.floor(glon / cfg.grid_cell_lon_deg),
        "mmsi": mmsi,
        "bad": df["kind"].astype(str).to_numpy() == "jamming",
    })[located]
    per_vessel = cells.groupby(["hour", "row", "col", "mmsi"], sort=False)["bad"].any()
    g = per_vessel.groupby(level=["hour", "row", "col"]).agg(n_vessels="size", n_bad="sum").reset_index()
    if not len(g):
        return pd.DataFrame({c: [] for c in GRID_COLUMNS})
    g = g.sort_values(["hour", "row", "col"], ignore_index=True)
    lat0 = g["row"].to_numpy() * cfg.grid_cell_lat_deg
    lon0 = g["col"].to_numpy() * cfg.grid_cell_lon_deg
    n_bad = g["n_bad"].to_numpy(dtype=np.int64)
    n_ves = g["n_vessels"].to_numpy(dtype=np.int64)
    frac = np.clip((n_bad - 1) / np.maximum(n_ves, 1), 0.0, None)
    ns = np.where(lat0 >= 0, "N", "S")
    ew = np.where(lon0 >= 0, "E", "W")
    cell = (pd.Series(np.abs(lat0)).map("{:05.2f}".format) + ns + "_"
            + pd.Series(np.abs(lon0)).map("{:06.2f}".format) + ew)
    return pd.DataFrame({
        "hour": to_time(g["hour"].to_numpy()),
        "cell": cell.to_numpy(dtype=object),
        "lat": lat0 + cfg.grid_cell_lat_deg / 2,
        "lon": lon0 + cfg.grid_cell_lon_deg / 2,
        "n_vessels": n_ves,
        "n_bad": n_bad,
        "n_good": n_ves - n_bad,
        "bad_frac": frac,
        "level": np.select([frac > cfg.grid_high_frac, frac >= cfg.grid_medium_frac], ["high", "medium"], "low"),
    })[GRID_COLUMNS]
