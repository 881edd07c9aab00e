"""Check a position against the station that received it (VHF has a short reach)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from ..geo import KNOT_MS, METRES_PER_NM, bearing_deg, haversine_m
from .context import Context

Result = tuple[np.ndarray, np.ndarray]


def _stations(ctx: Context) -> tuple[np.ndarray, pd.Index]:
    """Station code per row (-1 for '' or none) and the station names the codes index.
    Cached on ``ctx``."""
    if "stations" not in ctx.cache:
        cat = ctx.tracks["station"].astype("category")
        codes = cat.cat.codes.to_numpy().astype(np.int64)
        names = pd.Index(cat.cat.categories.astype(str))
        blank = np.flatnonzero(names == "")
        if len(blank):
            codes = np.where(codes == blank[0], -1, codes)
        ctx.cache["stations"] = codes, names
    return ctx.cache["stations"]


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


def station_at(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude (degrees) of the station that received each row, NaN where the
    row names no station or the station's position is unknown (:func:`station_positions`).
    Cached on ``ctx``, with whether that position is known rather than learned
    (``ctx.cache["station_known"]``)."""
    if "station_at" not in ctx.cache:
        lat, lon = np.full(ctx.n, np.nan), np.full(ctx.n, np.nan)
        known = np.zeros(ctx.n, dtype=bool)
        pos = station_positions(ctx)
        if not pos.empty:
            codes, names = _stations(ctx)
            at = pos.reindex(names)  # one row per code
            ok = codes >= 0
            lat[ok], lon[ok] = at["lat"].to_numpy()[codes[ok]], at["lon"].to_numpy()[codes[ok]]
            known[ok] = at["known"].fillna(False).to_numpy(dtype=bool)[codes[ok]]
        ctx.cache["station_at"] = lat, lon
        ctx.cache["station_known"] = known
    return ctx.cache["station_at"]


def receiver_range(ctx: Context) -> Result:
    """The position is farther than ``receiver_range_nm`` from the station that received
    it (positions from :func:`station_positions`; stations of unknown position, aids
    to navigation and SAR aircraft -- whose radio horizon at altitude exceeds 100 NM --
    are skipped). Magnitude: distance from the station, NM.

    A learned position is only the middle of what the station heard, and a coastal
    station hears the sea side alone, so its middle lies up to a range offshore. For
    a learned station the report fires only when no place within ``receiver_range_nm``
    of the bulk of its receptions (those within the ``receiver_span_quantile`` of them)
    is also within it of the report: when the smallest circle around them and the
    report has a larger radius. Magnitude: that radius, NM (the least reach that
    hears both).
    """
    fired = np.zeros(ctx.n, dtype=bool)
    mag = np.full(ctx.n, np.nan)
    slat, slon = station_at(ctx)
    heard = ctx.usable & ~ctx.aton & ~ctx.sar & np.isfinite(slat)
    rows = np.flatnonzero(heard)
    d = haversine_m(ctx.lat[rows], ctx.lon[rows], slat[rows], slon[rows]) / METRES_PER_NM
    hit = d > ctx.cfg.receiver_range_nm
    fired[rows[hit]] = True
    mag[rows[hit]] = d[hit]
    learned = rows[hit & ~ctx.cache["station_known"][rows]]
    if len(learned):
        reach = _least_reach_nm(ctx, learned, heard)
        fired[learned] = reach > ctx.cfg.receiver_range_nm
        mag[learned] = np.where(fired[learned], reach, np.nan)
    return fired, mag


def _least_reach_nm(ctx: Context, rows: np.ndarray, heard: np.ndarray) -> np.ndarray:
    """Per row in ``rows`` (received by stations of learned position): radius, NM, of the
    smallest circle around the row's position and the bulk of its station's receptions
    (``heard`` rows within the ``receiver_span_quantile`` of their distances from the
    learned position), in an azimuthal equidistant frame about that position."""
    codes, _ = _stations(ctx)
    slat, slon = station_at(ctx)
    out = np.full(len(rows), np.inf)
    for code in np.unique(codes[rows]).tolist():  # a handful of stations
        mine = np.flatnonzero(heard & (codes == code))
        lat0, lon0 = slat[mine[0]], slon[mine[0]]
        d = haversine_m(lat0, lon0, ctx.lat[mine], ctx.lon[mine])
        b = np.radians(bearing_deg(lat0, lon0, ctx.lat[mine], ctx.lon[mine]))
        xy = np.column_stack([d * np.sin(b), d * np.cos(b)])
        bulk = shapely.convex_hull(shapely.multipoints(xy[d <= np.quantile(d, ctx.cfg.receiver_span_quantile)]))
        edge = shapely.get_coordinates(bulk)
        at = np.flatnonzero(codes[rows] == code)
        pos = np.searchsorted(mine, rows[at])  # rows are a subset of the station's receptions
        pts = np.empty((len(at), len(edge) + 1, 2))
        pts[:, :-1], pts[:, -1] = edge, xy[pos]
        which = np.repeat(np.arange(len(at)), len(edge) + 1)
        groups = shapely.multipoints(pts.reshape(-1, 2), indices=which)
        out[at] = shapely.minimum_bounding_radius(groups) / METRES_PER_NM
    return out


def heard_where_it_claims(ctx: Context, rows: np.ndarray, own: np.ndarray, anchor: int) -> bool:
    """Every report in ``rows`` was received by a station of known position within
    ``receiver_range_nm`` of where the report places the vessel and beyond that range of
    where the vessel's own track had it (row ``anchor``), plus the distance it could have
    sailed since at ``max_speed_surface_kn``; and by no station that heard the vessel's
    own reports (rows ``own``).

    Then the radio was where the reports say, out of earshot of the vessel: another
    transmitter using its MMSI, not a spoofed position (a spoofer moves the position a
    radio reports, not the radio, so the stations hearing it are the vessel's own). A
    station that heard both heard one radio, whatever its position was learned to be
    (from traffic that may itself be spoofed).
    """
    slat, slon = station_at(ctx)
    s_lat, s_lon = slat[rows], slon[rows]
    if not len(rows) or not np.isfinite(s_lat).all():
        return False
    codes, _ = _stations(ctx)
    if np.isin(codes[rows], codes[own]).any():
        return False
    cfg = ctx.cfg
    reach = cfg.receiver_range_nm * METRES_PER_NM
    near = haversine_m(ctx.lat[rows], ctx.lon[rows], s_lat, s_lon) <= reach
    sailed = cfg.max_speed_surface_kn * KNOT_MS * np.abs(ctx.t[rows] - ctx.t[anchor])
    far = haversine_m(ctx.lat[anchor], ctx.lon[anchor], s_lat, s_lon) > reach + sailed
    return bool((near & far).all())
