"""Checks on the position fix itself: what GNSS jamming looks like in AIS.

Each check returns ``(fired, magnitude)`` arrays on the tracks' rows; the
magnitude is NaN where the check did not fire.
"""

from __future__ import annotations

import numpy as np

from ..geo import KNOT_MS
from ..schema import SECOND_DEAD_RECKONING, SECOND_INOPERATIVE, SECOND_MANUAL
from .context import Context, window_first

Result = tuple[np.ndarray, np.ndarray]


def _run_length(flag: np.ndarray, mmsi: np.ndarray) -> np.ndarray:
    """Length of the run of consecutive flagged rows (per MMSI, table order) holding each row."""
    start = np.ones(len(flag), dtype=bool)
    start[1:] = (flag[1:] != flag[:-1]) | (mmsi[1:] != mmsi[:-1])
    run = np.cumsum(start) - 1
    return np.bincount(run)[run].astype(float)


def pos_unavailable(ctx: Context) -> Result:
    """Position not available: lat 91 / lon 181 (NaN here), or the UTC-second field says
    63 (positioning system inoperative) or 61 (manual input) -- ITU-R M.1371 message 1.
    An aid to navigation (message 21) with a manually entered position is surveyed,
    not without a fix (real gpsd log: a virtual AtoN reporting second 61 throughout).

    Magnitude: reports in the MMSI's run of consecutive unavailable positions.
    """
    manual = (ctx.second == SECOND_MANUAL) & ~(ctx.aton & ctx.pos_valid)
    fired = ~ctx.pos_valid | (ctx.second == SECOND_INOPERATIVE) | manual
    return fired, np.where(fired, _run_length(fired, ctx.mmsi), np.nan)


def dead_reckoning(ctx: Context) -> Result:
    """The UTC-second field is 62: the position comes from dead reckoning (the electronic
    position fixing system lost its fix). Magnitude: reports in the MMSI's run of them.
    """
    fired = ctx.second == SECOND_DEAD_RECKONING
    return fired, np.where(fired, _run_length(fired, ctx.mmsi), np.nan)


def degraded_fix(ctx: Context) -> Result:
    """Within a track segment, the accuracy flag drops from high (1, DGNSS < 10 m) to low
    (0), or RAIM switches on or off. Weak evidence on its own: DGNSS corrections come
    and go. Magnitude: such changes in the segment over the trailing
    ``degraded_window_s`` (this one included).
    """
    rows = ctx.seg_rows
    seg = ctx.segment[rows]
    acc = ctx.tracks["accuracy"].to_numpy()[rows]
    raim = ctx.tracks["raim"].to_numpy()[rows]
    t = ctx.t[rows]
    change = np.zeros(len(rows), dtype=bool)
    same = seg[1:] == seg[:-1]
    change[1:] = same & (
        ((acc[:-1] == 1) & (acc[1:] == 0)) | ((raim[:-1] >= 0) & (raim[1:] >= 0) & (raim[1:] != raim[:-1]))
    )
    cum = np.cumsum(change)
    first = window_first(seg, t, ctx.cfg.degraded_window_s)
    count = cum - cum[first] + change[first]
    fired = np.zeros(ctx.n, dtype=bool)
    mag = np.full(ctx.n, np.nan)
    fired[rows] = change
    mag[rows[change]] = count[change]
    return fired, mag


def frozen_position(ctx: Context) -> Result:
    """At least ``frozen_min_reports`` consecutive identical fixes of a segment over at
    least ``frozen_min_duration_s`` while every one of them reports SOG of at least
    ``frozen_min_sog_kn``: the receiver holds a stale fix while the vessel moves. Two
    identical fixes suffice when the slowest of those SOGs times the run's duration
    reaches ``frozen_two_fix_motion_m``. Magnitude: the run's duration, seconds.
    """
    cfg = ctx.cfg
    rows = ctx.seg_rows[ctx.kinematic[ctx.seg_rows]]
    seg, lat, lon, t, sog = ctx.segment[rows], ctx.lat[rows], ctx.lon[rows], ctx.t[rows], ctx.sog[rows]
    new = np.ones(len(rows), dtype=bool)
    new[1:] = (seg[1:] != seg[:-1]) | (lat[1:] != lat[:-1]) | (lon[1:] != lon[:-1])
    run = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    n_run = np.diff(np.append(starts, len(rows)))
    duration = (t[starts + n_run - 1] - t[starts])[run]  # rows are in time order within a run
    with np.errstate(invalid="ignore"):
        slow = np.bincount(run, weights=~(sog >= cfg.frozen_min_sog_kn), minlength=len(n_run))
    min_sog = np.minimum.reduceat(sog, starts)[run] if len(rows) else sog  # runs are contiguous
    enough = (n_run[run] >= cfg.frozen_min_reports) | (
        (n_run[run] >= 2) & (min_sog * KNOT_MS * duration >= cfg.frozen_two_fix_motion_m))
    hit = enough & (duration >= cfg.frozen_min_duration_s) & (slow[run] == 0)
    fired = np.zeros(ctx.n, dtype=bool)
    mag = np.full(ctx.n, np.nan)
    fired[rows[hit]] = True
    mag[rows[hit]] = duration[hit]
    return fired, mag
