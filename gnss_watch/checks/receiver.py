"""Check a position against the station that received it (VHF has a short reach)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..geo import METRES_PER_NM, haversine_m
from .context import Context

Result = tuple[np.ndarray, np.ndarray]


def _stations(ctx: Context) -> tuple[np.ndarray, pd.Index]:
    """Station code per row (-1 for '' or none) and the station names the codes index."""
    cat = ctx.tracks["station"].astype("category")
    codes = cat.cat.codes.to_numpy().astype(np.int64)
    names = pd.Index(cat.cat.categories.astype(str))
    blank = np.flatnonzero(names == "")
    if len(blank):
        codes = np.where(codes == blank[0], -1, codes)
    return codes, names


def station_positions(ctx: Context) -> pd.DataFrame:
    """Position of each receiving station, indexed by station id: ``lat, lon, known``.

    ``known``: the station id is the MMSI of a base station whose type 4 reports give
    its position (median of them). Otherwise the position is learned as the median of
    the positions it received (at least ``receiver_min_reports``), and the station is
    dropped when its receptions spread beyond ``receiver_range_nm`` at the
    ``receiver_span_quantile``: a network, aggregator or satellite, not one receiver.
    """
    cfg = ctx.cfg
    codes, names = _stations(ctx)
    rows = np.flatnonzero(ctx.usable & ~ctx.aton & (codes >= 0))
    df = pd.DataFrame({"code": codes[rows], "lat": ctx.lat[rows], "lon": ctx.lon[rows]})
    by = df.groupby("code")
    learned = by[["lat", "lon"]].median()
    med = learned.reindex(df["code"])
    df["d"] = haversine_m(df["lat"].to_numpy(), df["lon"].to_numpy(), med["lat"].to_numpy(), med["lon"].to_numpy())
    spread = df.groupby("code")["d"].quantile(cfg.receiver_span_quantile)
    keep = (by.size() >= cfg.receiver_min_reports) & (spread <= cfg.receiver_range_nm * METRES_PER_NM)
    learned = learned[keep].assign(known=False)
    learned.index = names[learned.index]
    bs = ctx.base_stations
    if bs is not None and len(bs):
        fixed = bs.dropna(subset=["lat", "lon"]).groupby("mmsi")[["lat", "lon"]].median()
        fixed.index = fixed.index.astype(str)
        fixed = fixed[fixed.index.isin(names[np.unique(df["code"])])].assign(known=True)
        learned = pd.concat([fixed, learned[~learned.index.isin(fixed.index)]])
    return learned


def receiver_range(ctx: Context) -> Result:
    """The position is farther than ``receiver_range_nm`` from the station that received
    it (positions from :func:`station_positions`; stations of unknown position, aids
    to navigation and SAR aircraft -- whose radio horizon at altitude exceeds 100 NM --
    are skipped). Magnitude: distance from the station, NM.
    """
    fired = np.zeros(ctx.n, dtype=bool)
    mag = np.full(ctx.n, np.nan)
    pos = station_positions(ctx)
    if pos.empty:
        return fired, mag
    codes, names = _stations(ctx)
    at = pos.reindex(names)  # one row per code
    rows = np.flatnonzero(ctx.usable & ~ctx.aton & ~ctx.sar & (codes >= 0))
    c = codes[rows]
    d = haversine_m(ctx.lat[rows], ctx.lon[rows], at["lat"].to_numpy()[c], at["lon"].to_numpy()[c]) / METRES_PER_NM
    with np.errstate(invalid="ignore"):
        hit = d > ctx.cfg.receiver_range_nm
    fired[rows[hit]] = True
    mag[rows[hit]] = d[hit]
    return fired, mag
