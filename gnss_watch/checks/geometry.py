"""Checks on where reports are: on land, on one shared point, on a circle.

Distances on the ground use the Lambert conformal conic of :mod:`gnss_watch.land`
(conformal, scale within 1.5 % over the Baltic), so grids and circle fits work in
metres.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import land
from ..geo import KNOT_MS, angle_diff_deg, bearing_deg
from ..config import ChecksConfig
from ..schema import SECOND_MANUAL
from .context import Context, first_reaching, group_first_index
from .motion import jump_analysis

Result = tuple[np.ndarray, np.ndarray]

#: Canals, rivers and fjords with commercial traffic that Natural Earth 10m draws as
#: land deeper than ``on_land_depth_m`` (lon0, lat0, lon1, lat1), degrees. Found from
#: real DMA traffic (see /work/shared/data/real/SOURCES.md: Kiel Canal, Schlei,
#: Limfjord, Randers Fjord, Göta älv, Warnow, Gdańsk, Gdynia) and the shipped land file's inland
#: distance along the waterways; boxes keep clear of nearby airports (Pulkovo, Riga,
#: Hamburg, Lübeck, Landvetter, Lappeenranta), except Aalborg's and Kiel-Holtenau's
#: which sit on the Limfjord and the canal.
WATERWAYS: dict[str, tuple[float, float, float, float]] = {
    "Kiel Canal": (9.10, 53.85, 10.20, 54.45),
    "Elbe at Hamburg": (9.85, 53.46, 10.10, 53.57),
    "Schlei": (9.52, 54.47, 10.05, 54.70),
    "Trave to Lübeck": (10.66, 53.84, 10.92, 53.98),
    "Warnow at Rostock": (12.05, 54.07, 12.17, 54.19),
    "Oder to Szczecin": (14.50, 53.38, 14.70, 53.62),
    "Limfjord": (9.00, 56.95, 10.35, 57.13),
    "Randers Fjord": (10.00, 56.44, 10.35, 56.66),
    "Odense Canal": (10.36, 55.39, 10.56, 55.50),
    "Kerteminde Fjord": (10.58, 55.40, 10.72, 55.47),
    "Haderslev Fjord": (9.40, 55.22, 9.72, 55.28),
    "Karrebæk Fjord to Næstved": (11.60, 55.16, 11.79, 55.24),
    "Göta älv": (11.80, 57.63, 12.10, 57.90),
    "Trollhätte Canal": (11.95, 57.85, 12.36, 58.40),
    "Södertälje Canal": (17.55, 59.14, 17.70, 59.23),
    "Daugava at Riga": (24.00, 56.935, 24.20, 57.07),
    "Neva in St Petersburg": (30.18, 59.82, 30.50, 60.00),
    "Neva upstream": (30.45, 59.74, 31.05, 59.97),
    "Saimaa Canal": (28.25, 60.70, 28.80, 61.08),
    "Pregolya at Kaliningrad": (20.30, 54.68, 20.60, 54.73),
    "Elbląg River": (19.30, 54.15, 19.50, 54.30),
    "Martwa Wisła at Gdańsk": (18.60, 54.33, 18.80, 54.42),
    "Gdynia harbour": (18.48, 54.51, 18.58, 54.56),
    "Tornio River": (24.12, 65.82, 24.22, 65.90),
}


def in_waterway(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where (lon, lat) in degrees falls in one of the :data:`WATERWAYS` boxes."""
    boxes = np.array(list(WATERWAYS.values()))
    lon, lat = np.asarray(lon, dtype=float)[:, None], np.asarray(lat, dtype=float)[:, None]
    return ((lon >= boxes[:, 0]) & (lat >= boxes[:, 1]) & (lon <= boxes[:, 2]) & (lat <= boxes[:, 3])).any(axis=1)


def on_land(ctx: Context) -> Result:
    """The position lies more than ``on_land_depth_m`` inland of the shipped Natural Earth
    10m coast (lakes and lagoons count as water) and outside the :data:`WATERWAYS`.
    Not evaluated for aids to navigation and SAR aircraft (they may be over land).
    Magnitude: metres inland.
    """
    rows = np.flatnonzero(ctx.usable & ~ctx.aton & ~ctx.sar)
    depth = land.distance_inland_m(ctx.lon[rows], ctx.lat[rows])
    deep = depth > ctx.cfg.on_land_depth_m
    deep[deep] = ~in_waterway(ctx.lon[rows[deep]], ctx.lat[rows[deep]])
    fired = np.zeros(ctx.n, dtype=bool)
    mag = np.full(ctx.n, np.nan)
    fired[rows[deep]] = True
    mag[rows[deep]] = depth[deep]
    return fired, mag


def convergence(ctx: Context) -> Result:
    """At least ``convergence_min_vessels`` distinct vessels report points within about
    ``convergence_radius_m`` of each other within ``convergence_window_s``, each having
    got there by an impossible step from at least ``convergence_min_jump_m`` away
    (candidates of :func:`jump_analysis`, either side of a jump, so the cluster also
    decides which side is displaced when the recording lacks the return): the mass displacement of ships onto one point (an airport)
    seen in the Baltic and the Black Sea. Ships moored side by side reached their berth
    by plausible steps and never count. Magnitude: the number of vessels.

    Reports are binned on a grid of cell ``2 * radius`` by ``2 * window``; eight grids
    offset by half a cell in each dimension make sure any reports closer than
    ``radius`` and ``window`` share a cell in at least one of them. In a cell the
    vessels count together only while there at once: each one's stay (its first to
    last report in the cell) overlaps the others'. Ships following one lane pass a
    point minutes apart, a few seconds each; a spoofer holds its victims on the point.
    """
    cfg = ctx.cfg
    j = jump_analysis(ctx)
    with np.errstate(invalid="ignore"):
        rows = np.flatnonzero(j.candidate & (j.from_m >= cfg.convergence_min_jump_m))
    fired = np.zeros(ctx.n, dtype=bool)
    mag = np.full(ctx.n, np.nan)
    if len(rows) < cfg.convergence_min_vessels:
        return fired, mag
    x, y = land.project(ctx.lon[rows], ctx.lat[rows])
    cell, span = 2 * cfg.convergence_radius_m, 2 * cfg.convergence_window_s
    t = ctx.t[rows]
    scaled = np.column_stack([x / cell, y / cell, (t - t.min()) / span])
    count = np.zeros(len(rows), dtype=np.int64)
    mmsi = ctx.mmsi[rows]
    for shift in np.array(np.meshgrid([0.0, 0.5], [0.0, 0.5], [0.0, 0.5])).T.reshape(-1, 3):
        key = np.floor(scaled + shift).astype(np.int64)
        frame = pd.DataFrame({"a": key[:, 0], "b": key[:, 1], "c": key[:, 2], "m": mmsi, "t": t})
        busy = frame.groupby(["a", "b", "c"])["m"].transform("nunique").to_numpy() >= cfg.convergence_min_vessels
        if not busy.any():
            continue
        stay = frame[busy].groupby(["a", "b", "c", "m"])["t"].agg(["min", "max"]).reset_index()
        # Vessels there at each one's arrival: the most there at once (intervals on a line).
        pair = stay.merge(stay, on=["a", "b", "c"], suffixes=("", "_o"))
        pair = pair[(pair["min_o"] <= pair["min"]) & (pair["min"] <= pair["max_o"])]
        at_once = pair.assign(n=pair.groupby(["a", "b", "c", "m"])["m_o"].transform("size"))
        at_once = at_once[at_once["n"] >= cfg.convergence_min_vessels]
        n = at_once.groupby(["a", "b", "c", "m_o"])["n"].max().rename_axis(["a", "b", "c", "m"]).rename("n")
        got = frame.merge(n.reset_index(), on=["a", "b", "c", "m"], how="left")["n"].fillna(0).to_numpy()
        count = np.maximum(count, got.astype(np.int64))
    hit = count >= cfg.convergence_min_vessels
    fired[rows[hit]] = True
    mag[rows[hit]] = count[hit]
    return fired, mag


def _fit_circles(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Algebraic (Kasa) circle fit of each row of ``x``, ``y`` (windows x points, metres).

    Solves x^2 + y^2 + D x + E y + F = 0 in the least-squares sense per window.
    Returns centre x, centre y, radius (m) and the RMS distance of the points from
    the circle (m); NaN where the points are collinear.
    """
    mx, my = x.mean(axis=1, keepdims=True), y.mean(axis=1, keepdims=True)
    u, v = x - mx, y - my  # centred for conditioning
    a = np.stack([u, v, np.ones_like(u)], axis=2)
    b = -(u**2 + v**2)
    ata = np.einsum("wpi,wpj->wij", a, a)
    atb = np.einsum("wpi,wp->wi", a, b)
    ok = np.abs(np.linalg.det(ata)) > 1e-9 * np.einsum("wii->w", ata) ** 3
    sol = np.full(atb.shape, np.nan)
    if ok.any():
        sol[ok] = np.linalg.solve(ata[ok], atb[ok][..., None])[..., 0]
    cu, cv = -sol[:, 0] / 2, -sol[:, 1] / 2
    with np.errstate(invalid="ignore"):
        r = np.sqrt(cu**2 + cv**2 - sol[:, 2])
    resid = np.hypot(u - cu[:, None], v - cv[:, None]) - r[:, None]
    return cu + mx[:, 0], cv + my[:, 0], r, np.sqrt(np.mean(resid**2, axis=1))


def _arc_coverage_deg(x: np.ndarray, y: np.ndarray, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Degrees of the circle around (cx, cy) covered by the points (360 minus the largest gap)."""
    ang = np.sort(np.degrees(np.arctan2(y - cy[:, None], x - cx[:, None])), axis=1)
    gaps = np.diff(np.concatenate([ang, ang[:, :1] + 360.0], axis=1), axis=1)
    return 360.0 - gaps.max(axis=1)


#: Windows fitted per segment and points per window: bounds the work on long tracks.
_MAX_WINDOWS, _POINTS = 256, 64


#: Ship types (ITU-R M.1371 table 53) that sail circles by trade or for pleasure: fishing 30
#: (a purse seiner rings a shoal), dredging or underwater operations 33, diving 34, military
#: 35, sailing 36, pleasure craft 37, search and rescue 51, law enforcement 55. None of them
#: is on passage, whatever its speed.
LOOPING_SHIP_TYPES = (30, 33, 34, 35, 36, 37, 51, 55)


def circle(ctx: Context) -> Result:
    """A segment's positions trace a circle while the vessel is on passage.

    Turning is accumulated along each segment's live fixes (not dead-reckoned or
    manual) from bearings of chords at least ``circle_min_leg_m`` long, on reports
    moving at ``circle_lag_min_sog_kn`` or more (reported SOG, else implied); a stop
    or a lost fix longer than ``circle_max_pause_s`` starts a new arc. Where the
    turning between two reports reaches ``circle_min_arc_deg`` (one way), the
    positions between them get an algebraic
    circle fit; the window fires when the radius is within
    ``circle_min_radius_m``..``circle_max_radius_m``, the RMS residual is below
    ``circle_max_residual_frac`` of it, the points cover ``circle_min_arc_deg`` of the
    circle and the median speed is on-passage, by a vessel whose type does not sail
    circles (:data:`LOOPING_SHIP_TYPES`; unknown counts as on passage). Zig-zags
    (fishing, SAR), lane bends and shuttles turn back and forth or do not lie on a circle.

    A partial arc (``circle_min_partial_arc_deg`` or more) passing the same fit fires
    when the reported true heading did not turn with the course: the hull's heading
    follows its course through any real turn (the drift angle of a ship on passage
    stays within some 10-20 degrees), so a COG turning ``circle_min_heading_lag_deg``
    more or less than the heading over the arc was not sailed. There the speed only has
    to make COG meaningful: ``circle_lag_min_sog_kn``. Needs COG and heading
    on at least half of the window's reports (Class B rarely sends a heading: there
    only whole circles count). Magnitude: radius, metres.
    """
    cfg = ctx.cfg
    # Live fixes only: a dead-reckoned or manual position is no GNSS fix, and its
    # COG is stale (the last live one, or none) while the hull may keep turning.
    rows = ctx.seg_rows[ctx.kinematic[ctx.seg_rows] & (ctx.second[ctx.seg_rows] < SECOND_MANUAL)]
    fired = np.zeros(ctx.n, dtype=bool)
    mag = np.full(ctx.n, np.nan)
    if len(rows) < 3:
        return fired, mag
    seg, t, lat, lon = ctx.segment[rows], ctx.t[rows], ctx.lat[rows], ctx.lon[rows]
    # A circle is sailed without stopping and under a live fix: where the ship lay
    # still (reported SOG below circle_lag_min_sog_kn; unknown counts as moving) or
    # was heard without a live fix for over circle_max_pause_s, the tracks before
    # and after are separate arcs to fit. A reception gap alone splits nothing.
    sog = ctx.sog[rows]
    go = np.flatnonzero(~(sog < cfg.circle_lag_min_sog_kn))
    stopped = np.concatenate(([0], np.cumsum(sog < cfg.circle_lag_min_sog_kn)))
    a, b = go[:-1], go[1:]
    unfixed = (rows[b] - rows[a]) > (b - a)  # table rows (same MMSI) between them that are no live fix
    pause = np.zeros(len(rows), dtype=bool)
    pause[b] = (seg[b] == seg[a]) & (t[b] - t[a] > cfg.circle_max_pause_s) & (
        (stopped[b] > stopped[a + 1]) | unfixed)
    seg = np.cumsum(np.r_[True, seg[1:] != seg[:-1]] | pause)
    first = group_first_index(seg)
    same = seg[1:] == seg[:-1]
    path = np.cumsum(ctx.step_m[rows])
    # Chord back to the latest report at least circle_min_leg_m behind along the track.
    back = np.searchsorted(path, path - cfg.circle_min_leg_m, side="right") - 1
    has_leg = back >= first
    back = np.maximum(back, first)
    with np.errstate(invalid="ignore", divide="ignore"):
        implied = (path - path[back]) / (t - t[back]) / KNOT_MS
    speed = np.where(np.isfinite(sog), sog, implied)
    # Turning is accumulated from the lower (partial-arc) speed; whole circles then
    # need on-passage speed on their own windows and rows.
    moving = has_leg & (speed >= cfg.circle_lag_min_sog_kn)
    # A report at rest traces nothing, whatever circle it happens to lie on (a spoofed
    # circle often passes through where the ship lies at anchor); reported SOG may be
    # frozen by the spoofer, so the track's own speed counts too.
    underway = moving | (has_leg & (implied >= cfg.circle_lag_min_sog_kn))
    on_passage = underway & ((speed >= cfg.circle_min_sog_kn) | (implied >= cfg.circle_min_sog_kn))
    on_passage &= ~np.isin(ctx.ship_type[rows], LOOPING_SHIP_TYPES)  # a pleasure craft's loop is its outing
    # Turning between consecutive moving chords of a segment (0 elsewhere).
    mv = np.flatnonzero(moving)
    brg = np.full(len(rows), np.nan)
    brg[mv] = bearing_deg(lat[back[mv]], lon[back[mv]], lat[mv], lon[mv])
    cum = _cumulative_turn(brg, mv, seg, first)
    heading = (ctx.tracks["heading"].to_numpy(dtype=float)[rows] if "heading" in ctx.tracks
               else np.full(len(rows), np.nan))
    # Drift angle (reported COG minus heading, both instantaneous: a chord's bearing
    # lags the heading through a sharp turn) on moving reports. It changes little from
    # report to report, so accumulating it is unambiguous even where course and
    # heading both reverse across a stop. A COG off the track is course_mismatch's.
    cog = ctx.cog[rows]
    # An exact repeat of the fix (a held fix: frozen_position's domain) carries a stale
    # COG while the heading keeps turning: no drift angle from it.
    live = (ctx.step_m[rows] > 0) | (np.arange(len(rows)) == first)
    has_hdg = moving & np.isfinite(heading) & np.isfinite(cog) & live
    drift = angle_diff_deg(cog, heading)
    dcum = _cumulative_turn(drift, np.flatnonzero(has_hdg), seg, first)
    hcount = np.cumsum(has_hdg)
    bounds = np.append(np.flatnonzero(np.r_[True, ~same]), len(rows))
    lo = np.minimum.reduceat(cum, bounds[:-1])
    hi = np.maximum.reduceat(cum, bounds[:-1])
    has_heading = np.add.reduceat(has_hdg.astype(np.int64), bounds[:-1]) > 0
    partial = (hi - lo >= cfg.circle_min_partial_arc_deg) & has_heading
    for g in np.flatnonzero((hi - lo >= cfg.circle_min_arc_deg) | partial):
        s = slice(bounds[g], bounds[g + 1])
        x, y = land.project(lon[s], lat[s])
        hit, radius = _circle_windows(x, y, cum[s], speed[s], on_passage[s], cfg, cfg.circle_min_arc_deg,
                                      cfg.circle_min_sog_kn)
        if partial[g]:
            lag = _HeadingLag(dcum[s], hcount[s], cfg.circle_min_heading_lag_deg)
            phit, pradius = _circle_windows(x, y, cum[s], speed[s], underway[s], cfg, cfg.circle_min_partial_arc_deg,
                                            cfg.circle_lag_min_sog_kn, lag)
            radius = np.where(hit, radius, pradius)
            hit |= phit
        fired[rows[s][hit]] = True
        mag[rows[s][hit]] = radius[hit]
    return fired, mag


def _cumulative_turn(angle: np.ndarray, valid: np.ndarray, seg: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Signed turning (degrees) accumulated from each segment's first row, summing the
    differences of ``angle`` (degrees) between consecutive ``valid`` rows of a segment."""
    turn = np.zeros(len(angle))
    link = seg[valid[1:]] == seg[valid[:-1]]
    turn[valid[1:][link]] = angle_diff_deg(angle[valid[1:][link]], angle[valid[:-1][link]])
    cum = np.cumsum(turn)
    return cum - cum[first]


class _HeadingLag:
    """Window filter: the drift angle (reported COG minus heading) changed by
    at least ``lag_deg`` across the window, with the heading on at least half of its
    reports (``dcum``: accumulated drift change, degrees; ``hcount``: running count of
    moving reports with a heading)."""

    def __init__(self, dcum: np.ndarray, hcount: np.ndarray, lag_deg: float) -> None:
        self.dcum, self.hcount, self.lag = dcum, hcount, lag_deg

    def __call__(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """True for the windows ``start``..``end`` (row positions, inclusive) that pass."""
        n_heading = self.hcount[end] - self.hcount[start]
        lag = np.abs(self.dcum[end] - self.dcum[start])
        return (2 * n_heading >= end - start + 1) & (lag >= self.lag)


def _circle_windows(
    x: np.ndarray, y: np.ndarray, cum: np.ndarray, speed: np.ndarray, underway: np.ndarray, cfg: ChecksConfig,
    arc: float, min_sog_kn: float, keep_window: _HeadingLag | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Fit the windows of one segment that turn ``arc`` degrees one way at a median
    speed of ``min_sog_kn`` knots or more (and pass ``keep_window`` if given);
    returns the rows on the circle of a passing window that are ``underway`` and
    its radius (metres, NaN elsewhere)."""
    m = len(x)
    idx = np.arange(m)
    # Windows turning `arc` one way: from each start j to the earliest end i with
    # cum[i] >= cum[j] + arc, and to each end from the latest such start (the same
    # search on the reversed track); the mirrors for the other way. The turn before j
    # does not matter: a right-hand circle right after a sharp left turn counts.
    rev = slice(None, None, -1)
    start = np.concatenate([idx, idx, m - 1 - first_reaching(-cum[rev], -cum[rev] + arc)[rev],
                            m - 1 - first_reaching(cum[rev], cum[rev] + arc)[rev]])
    end = np.concatenate([first_reaching(cum, cum + arc), first_reaching(-cum, -cum + arc), idx, idx])
    keep = (start >= 0) & (end < m) & (start < end)
    start, end = np.unique(np.column_stack([start[keep], end[keep]]), axis=0).T
    if keep_window is not None:
        ok = keep_window(start, end)
        start, end = start[ok], end[ok]
    stride = max(1, int(np.ceil(len(end) / _MAX_WINDOWS)))
    end, start = end[::stride], start[::stride]
    hit = np.zeros(m, dtype=bool)
    radius = np.full(m, np.nan)
    if len(end) == 0:
        return hit, radius
    pick = np.rint(start[:, None] + (end - start)[:, None] * np.linspace(0.0, 1.0, _POINTS)).astype(np.intp)
    cx, cy, r, rms = _fit_circles(x[pick], y[pick])
    cover = _arc_coverage_deg(x[pick], y[pick], cx, cy)
    med_speed = np.nanmedian(speed[pick], axis=1)
    with np.errstate(invalid="ignore"):
        ok = (
            (r >= cfg.circle_min_radius_m) & (r <= cfg.circle_max_radius_m)
            & (rms <= cfg.circle_max_residual_frac * r) & (cover >= arc)
            & (med_speed >= min_sog_kn)
        )
    # A passing window may reach into the straight track before or after the circle:
    # only its reports on the circle (within the residual bound) count.
    for k in np.flatnonzero(ok):
        s = slice(start[k], end[k] + 1)
        on = (np.abs(np.hypot(x[s] - cx[k], y[s] - cy[k]) - r[k]) <= cfg.circle_max_residual_frac * r[k]) & underway[s]
        hit[s] |= on
        radius[s] = np.where(on, r[k], radius[s])
    return hit, radius
