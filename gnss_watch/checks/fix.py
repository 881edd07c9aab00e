"""Checks on the position fix itself: what GNSS jamming looks like in AIS.

Each check returns ``(fired, magnitude)`` arrays on the tracks' rows; the
magnitude is NaN where the check did not fire.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from ..geo import KNOT_MS, angle_diff_deg, haversine_m, local_xy
from ..schema import LONG_RANGE_POSITION_STEP_M, SECOND_DEAD_RECKONING, SECOND_INOPERATIVE, SECOND_MANUAL
from .context import Context, window_first
from .motion import jump_analysis, raw_steps

Result = tuple[np.ndarray, np.ndarray]


def _run_length(flag: np.ndarray, mmsi: np.ndarray) -> np.ndarray:
    """Length of the run of consecutive flagged rows (per MMSI, table order) holding each row."""
    start = np.ones(len(flag), dtype=bool)
    start[1:] = (flag[1:] != flag[:-1]) | (mmsi[1:] != mmsi[:-1])
    run = np.cumsum(start) - 1
    return np.bincount(run)[run].astype(float)


def pos_unavailable(ctx: Context) -> Result:
    """Position not available: lat 91 / lon 181 (NaN here) or 0 / 0 (a common default
    without a fix, see :func:`gnss_watch.tracks.position_valid`), or the UTC-second
    field says 63 (positioning system inoperative) or 61 (manual input) -- ITU-R
    M.1371 message 1.
    An aid to navigation (message 21) with a manually entered position is surveyed,
    not without a fix (real gpsd log: a virtual AtoN reporting second 61 throughout).

    Magnitude: reports in the MMSI's run of consecutive unavailable positions.
    """
    manual = (ctx.second == SECOND_MANUAL) & ~(ctx.aton & ctx.pos_valid)
    fired = ~ctx.pos_valid | (ctx.second == SECOND_INOPERATIVE) | manual
    return fired, np.where(fired, _run_length(fired, ctx.mmsi), np.nan)


def dead_reckoning(ctx: Context) -> Result:
    """The UTC-second field is 62: the position comes from dead reckoning (the electronic
    position fixing system lost its fix); or a position carried on by dead reckoning
    without it (:func:`_reckoned`), as CSV exports, and receivers that do not follow
    the standard, show it. Magnitude: reports in the MMSI's run of them.
    """
    fired = dead_reckoned(ctx).copy()
    return fired, np.where(fired, _run_length(fired, ctx.mmsi), np.nan)


def dead_reckoned(ctx: Context) -> np.ndarray:
    """Rows whose position is dead-reckoned, as :func:`dead_reckoning` fires (cached on ``ctx``)."""
    if "dead_reckoned" not in ctx.cache:
        ctx.cache["dead_reckoned"] = (ctx.second == SECOND_DEAD_RECKONING) | _reckoned(ctx)
    return ctx.cache["dead_reckoned"]


def _reckoned(ctx: Context) -> np.ndarray:
    """Reports of a segment that repeat the SOG (at least ``frozen_min_sog_kn``) and COG of
    the report before them to the bit while each one advances from it by SOG x time along
    COG: a receiver dead reckoning moves its position exactly so.

    - Right after a held fix (:func:`frozen_position`), within ``reckoned_slack_m`` +
      ``reckoned_slack_s`` of motion (CSV exports round receive times): a live fix
      regained after a hold jumps to where the ship is, with SOG and COG of its own.
    - Anywhere else, a run of at least ``reckoned_min_reports`` over ``reckoned_min_s``,
      each within ``reckoned_exact_m`` plus the rounding of SOG and COG over its step,
      unless ``reckoned_max_vessel_share`` of the vessels under way that long show such
      runs (a feed without fix noise). Not for type 27, whose 185 m positions hide it.
    """
    cfg = ctx.cfg
    rows = ctx.seg_rows[ctx.kinematic[ctx.seg_rows]]
    out = np.zeros(ctx.n, dtype=bool)
    if len(rows) < 2:
        return out
    held = frozen_position(ctx)[0][rows]
    seg, t, sog, cog = ctx.segment[rows], ctx.t[rows], ctx.sog[rows], ctx.cog[rows]
    lat, lon = ctx.lat[rows], ctx.lon[rows]
    dx, dy = local_xy(lat[1:], lon[1:], lat[:-1], lon[:-1])  # each step in the plane of its start
    v, dt = sog[1:] * KNOT_MS, np.diff(t)
    miss = np.hypot(dx - v * dt * np.sin(np.radians(cog[1:])), dy - v * dt * np.cos(np.radians(cog[1:])))
    step = np.zeros(len(rows), dtype=bool)
    exact = np.zeros(len(rows), dtype=bool)
    with np.errstate(invalid="ignore"):
        step[1:] = ((seg[1:] == seg[:-1]) & (sog[1:] == sog[:-1]) & (cog[1:] == cog[:-1])
                    & (sog[1:] >= cfg.frozen_min_sog_kn) & ~held[1:]
                    & (miss <= cfg.reckoned_slack_m + v * cfg.reckoned_slack_s))
        rounding = 0.05 * KNOT_MS * dt + np.radians(0.05) * v * dt  # half a unit of SOG and COG
        exact[1:] = step[1:] & (miss <= cfg.reckoned_exact_m + rounding) & ~ctx.coarse[rows[1:]]
    # A run of such steps counts when the report before it is a held fix ...
    start = step & ~np.r_[False, step[:-1]]
    run = np.cumsum(start)
    first = np.flatnonzero(start)
    from_held = np.zeros(len(first) + 1, dtype=bool)
    from_held[1:] = held[first - 1]
    out[rows] = step & from_held[run]
    # ... or when it is long and exact, in a feed whose other fixes carry noise, and begins
    # at a live fix: a track moving exactly as its own SOG and COG say into the run, across
    # their changes (two steps before it), is drawn, not reckoned by a receiver from its fix.
    start = exact & ~np.r_[False, exact[:-1]]
    run = np.cumsum(start) * exact
    first = np.flatnonzero(start)
    n = np.bincount(run, minlength=len(first) + 1)[1:]
    last = first + n - 1
    with np.errstate(invalid="ignore"):
        drawn = np.r_[False, (seg[1:] == seg[:-1]) & (miss <= cfg.reckoned_exact_m + rounding)]
    drawn &= ~np.r_[False, ctx.coarse[rows[1:]]]
    before = np.maximum(first - 1, 0)
    live = ~(drawn[before] & drawn[np.maximum(first - 2, 0)])
    long = np.zeros(len(first) + 1, dtype=bool)
    long[1:] = (n >= cfg.reckoned_min_reports) & (t[last] - t[first - 1] >= cfg.reckoned_min_s) & live
    mmsi = ctx.mmsi[rows]
    under_way = np.unique(mmsi[sog >= cfg.frozen_min_sog_kn], return_counts=True)
    n_under_way = int((under_way[1] >= cfg.reckoned_min_reports).sum())
    n_reckoning = len(np.unique(mmsi[first[long[1:]]]))
    if n_reckoning <= cfg.reckoned_max_vessel_share * n_under_way:
        out[rows] |= long[run]
    return out


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


def _held_then_jumped(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """Runs of at least ``frozen_min_reports`` identical fixes of an MMSI over at least
    ``frozen_min_duration_s``, entered by a step within reach, and left by a step out
    of reach of the run's last report yet within reach of its first at the speed the
    vessel made as the fix froze (``sog_hint_factor`` x its SOG on the run's first
    report or the one before, or its speed into the run, plus the GNSS slack): the vessel
    was gone from the fix long before the run ended, whatever SOG said later (0 or
    not available: transponders that lose the fix often zero it). Type 27 fixes make no
    run: they tell only the identity of fixes, and in 1/10 minute a fix repeats for any
    ship moving less than 185 m between reports. A run opening the MMSI's recording
    needs only two fixes, every one with SOG of at least ``frozen_min_sog_kn``, left by a
    step out of reach: it froze before the recording began. Returns the rows fired and
    the runs' durations, seconds."""
    cfg = ctx.cfg
    rows, same, bad, step = raw_steps(ctx)
    if len(rows) == 0:
        return rows, np.zeros(0)
    mmsi, t, lat, lon = ctx.mmsi[rows], ctx.t[rows], ctx.lat[rows], ctx.lon[rows]
    new = ~same | ctx.coarse[rows]
    new[1:] |= (lat[1:] != lat[:-1]) | (lon[1:] != lon[:-1])
    first = np.flatnonzero(new)
    last = np.append(first[1:], len(rows)) - 1
    nxt = last + 1
    ok = (last - first + 1 >= cfg.frozen_min_reports) & (t[last] - t[first] >= cfg.frozen_min_duration_s)
    ok &= (nxt < len(rows)) & ~bad[first]
    k = np.flatnonzero(ok)
    nxt_k = np.minimum(nxt[k], len(rows) - 1)
    left = bad[nxt_k] & (mmsi[nxt_k] == mmsi[first[k]])
    # ... within reach at the speed the vessel made as the fix froze: its SOG on the run's
    # first report or the one before (the last live ones), or its speed into the run. A
    # ship lying still whose fix then jumps far is no held fix but a jump (impossible_jump's).
    f, p = first[k], np.maximum(first[k] - 1, 0)
    gap = t[f] - t[p]
    with np.errstate(invalid="ignore", divide="ignore"):
        into = np.where(same[f] & (gap > 0), step[f] / gap, np.nan)  # one time stamp: no speed
    sog_before = np.where(same[f], ctx.sog[rows[p]], np.nan)
    speed_kn = np.nan_to_num(np.fmax(np.fmax(ctx.sog[rows[f]], sog_before), into / KNOT_MS), nan=0.0)
    d = haversine_m(lat[f], lon[f], lat[nxt_k], lon[nxt_k])
    left &= d <= ctx.reachable_m(cfg.sog_hint_factor * speed_kn, t[nxt_k] - t[f])
    # A run opening the MMSI's recording froze before it began, so how long it has held,
    # and the reach from its start, are unknown: two identical fixes while every SOG says
    # the vessel moves, left by a step out of reach, are that held fix.
    with np.errstate(invalid="ignore"):
        slow = np.bincount(np.cumsum(new) - 1, weights=~(ctx.sog[rows] >= cfg.frozen_min_sog_kn),
                           minlength=len(first))
    o = np.flatnonzero(~same[first] & (last > first) & (slow == 0) & (nxt < len(rows)))
    nxt_o = nxt[o]
    o = o[bad[nxt_o] & (mmsi[nxt_o] == mmsi[first[o]])]
    k = np.union1d(k[left], o)
    mark = np.zeros(len(rows) + 1, dtype=np.int64)
    np.add.at(mark, first[k], 1)
    np.add.at(mark, last[k] + 1, -1)
    on = np.cumsum(mark[:-1]) > 0
    duration = np.zeros(len(rows))
    duration[on] = np.repeat(t[last[k]] - t[first[k]], last[k] - first[k] + 1)
    return rows[on], duration[on]


def frozen_position(ctx: Context) -> Result:
    """At least ``frozen_min_reports`` consecutive identical fixes of a segment over at
    least ``frozen_min_duration_s`` while every one of them reports SOG of at least
    ``frozen_min_sog_kn``: the receiver holds a stale fix while the vessel moves. Two
    identical fixes suffice when the slowest of those SOGs times the run's duration
    reaches ``frozen_two_fix_motion_m``. A run of type 27 fixes (1/10 minute) counts
    only when that motion crosses two of their 185 m steps. Whatever the SOG, a run the
    vessel leaves by a step it could only make from the run's start is held too, and so
    is a run of two or more opening the MMSI's recording, at SOG of at least
    ``frozen_min_sog_kn``, left by a step out of reach (:func:`_held_then_jumped`).
    Magnitude: the run's duration, seconds. Computed once per context (dead reckoning and
    erratic_fix read it too).
    """
    if "frozen_position" not in ctx.cache:
        ctx.cache["frozen_position"] = _frozen_position(ctx)
    fired, mag = ctx.cache["frozen_position"]
    return fired.copy(), mag.copy()


def _frozen_position(ctx: Context) -> Result:
    """:func:`frozen_position`, uncached."""
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
    moved = min_sog * KNOT_MS * duration
    enough = (n_run[run] >= cfg.frozen_min_reports) | ((n_run[run] >= 2) & (moved >= cfg.frozen_two_fix_motion_m))
    resolved = ~ctx.coarse[rows] | (moved >= 2 * LONG_RANGE_POSITION_STEP_M)
    hit = enough & (duration >= cfg.frozen_min_duration_s) & (slow[run] == 0) & resolved
    fired = np.zeros(ctx.n, dtype=bool)
    mag = np.full(ctx.n, np.nan)
    fired[rows[hit]] = True
    mag[rows[hit]] = duration[hit]
    held, held_s = _held_then_jumped(ctx)
    fired[held] = True
    mag[held] = held_s
    return fired, mag


def _spikes(
    ctx: Context, rows: np.ndarray, step: np.ndarray, ac: np.ndarray, ac_reach: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One-report excursions among ``rows`` (one MMSI after another, time order; ``step``:
    metres from the row before, as :func:`raw_steps` gives them; ``ac`` and ``ac_reach``:
    metres from each row to the one two later, and how far the vessel could go in between).

    Fix ``b`` between fixes ``a`` and ``c`` is a spike when the ship could not have
    gone from ``a`` to ``c`` by way of it: the detour ``|ab| + |bc|`` exceeds what
    it covers in that time at ``sog_hint_factor`` times the highest of the three
    reported SOGs and of the straight run's speed ``|ac| / dt`` (a wrong or
    missing SOG does not make a spike), plus ``jump_distance_tolerance_m`` of GNSS
    slack, while ``a`` to ``c`` is within reach; not in a run of four or more
    (two sources taking turns make every report one). Returns the spikes
    (indices into ``rows``) and their east/north offsets, metres, from the
    ``a``-``c`` track interpolated at the spike's time.
    """
    cfg = ctx.cfg
    a, b, c = np.arange(len(rows) - 2), np.arange(1, len(rows) - 1), np.arange(2, len(rows))
    t, lat, lon, sog = ctx.t[rows], ctx.lat[rows], ctx.lon[rows], ctx.sog[rows]
    dt = t[c] - t[a]
    detour = step[b] + step[c]  # a, b, c of one MMSI where it matters (checked below)
    with np.errstate(invalid="ignore", divide="ignore"):
        speed_ms = np.fmax(np.fmax.reduce([sog[a], sog[b], sog[c]]) * KNOT_MS, ac / dt)
    speed_ms = np.nan_to_num(speed_ms, nan=0.0, posinf=0.0)
    mmsi = ctx.mmsi[rows]
    spike = (mmsi[a] == mmsi[c]) & (detour > cfg.sog_hint_factor * speed_ms * dt + cfg.jump_distance_tolerance_m)
    spike &= ac <= ac_reach
    # Four spikes in a row: two sources taking turns (A B A B), not one scattering.
    spike &= _run_length(spike, mmsi[b]) < 4
    k = np.flatnonzero(spike)
    a, b, c = a[k], b[k], c[k]
    f = np.where(dt[k] > 0, (t[b] - t[a]) / np.maximum(dt[k], 1e-9), 0.5)
    east, north = local_xy(lat[b], lon[b], lat[a] + f * (lat[c] - lat[a]), lon[a] + f * (lon[c] - lon[a]))
    return b, east, north


#: Fixes per block of :func:`fix_scatter`.
_SCATTER_BLOCK = 1 << 18


def fix_scatter(ctx: Context, rows: np.ndarray) -> np.ndarray:
    """How far each of ``rows`` (one track segment after another, time order) lies off the
    motion its neighbours and its own SOG and COG allow, metres; NaN at a segment's ends.

    Against neighbours one fix away and two fixes away, whichever gives less (one odd
    neighbour does not make a fix odd), the more of:

    * how much longer the path through the fix is than the straight line between its
      neighbours: an offset counts twice where fixes are close together (a ship at
      rest), but only as its square over the step where they are far apart (100 m off
      between fixes 500 m apart lengthens the path by 40 m);
    * its offset from where a steady run between its neighbours puts it at its time,
      across that line less what a turn the ship reports explains (its COG at the three
      fixes: at most half the line times tan(turn / 2), the turn made at once), and
      along it less what a change of speed the ship reports explains (half the change
      of SOG over the time) and the fix's age at reception (``erratic_fix_age_s`` at
      the SOG). Without a COG (SOG) the offset across (along) is not counted.

    Metres of GNSS noise on any track a ship sails, at sea or at anchor; the scatter
    itself where a degraded receiver scatters its fixes.
    """
    cfg = ctx.cfg
    n = len(rows)
    seg, t, lat, lon = ctx.segment[rows], ctx.t[rows], ctx.lat[rows], ctx.lon[rows]
    cog, sog = ctx.cog[rows], ctx.sog[rows]
    scatter = np.full(n, np.inf)
    for k in (1, 2):
        for lo in range(k, n - k, _SCATTER_BLOCK):  # blocks bound the temporaries (dozens of floats a fix)
            b = np.arange(lo, min(lo + _SCATTER_BLOCK, n - k))
            a, c = b - k, b + k
            xb, yb = local_xy(lat[b], lon[b], lat[a], lon[a])
            xc, yc = local_xy(lat[c], lon[c], lat[a], lon[a])
            chord = np.hypot(xc, yc)
            detour = np.hypot(xb, yb) + np.hypot(xc - xb, yc - yb) - chord
            dt = t[c] - t[a]
            f = np.where(dt > 0, (t[b] - t[a]) / np.where(dt > 0, dt, 1.0), 0.5)
            rx, ry = xb - f * xc, yb - f * yc
            with np.errstate(invalid="ignore", divide="ignore"):
                ux, uy = np.where(chord > 0, xc / chord, 0.0), np.where(chord > 0, yc / chord, 0.0)
            along = np.abs(rx * ux + ry * uy)
            across = np.where(chord > 0, np.abs(rx * uy - ry * ux), np.hypot(rx, ry))
            turn = np.fmax.reduce([np.abs(angle_diff_deg(cog[a], cog[b])), np.abs(angle_diff_deg(cog[b], cog[c])),
                                   np.abs(angle_diff_deg(cog[a], cog[c]))])
            across -= 0.5 * chord * np.tan(np.radians(np.minimum(turn, 179.0)) / 2)
            fast = np.fmax.reduce([sog[a], sog[b], sog[c]])
            slow = np.fmin.reduce([sog[a], sog[b], sog[c]])
            along -= ((fast - slow) * dt / 2 + fast * cfg.erratic_fix_age_s) * KNOT_MS
            off = np.hypot(np.nan_to_num(np.maximum(across, 0.0)), np.nan_to_num(np.maximum(along, 0.0)))
            scatter[b] = np.fmin(scatter[b], np.where(seg[a] == seg[c], np.fmax(off, detour), np.nan))
    scatter[~np.isfinite(scatter)] = np.nan
    return scatter


def _degraded_then_lost(
    ctx: Context, rows: np.ndarray, bad: np.ndarray, step: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of live fixes (``rows``: the kinematic rows in MMSI and time order; ``bad``,
    ``step``: :func:`~gnss_watch.checks.motion.raw_steps`) from the receiver's drop of
    the accuracy flag (1 to 0) to its own loss of the fix: the MMSI's next report dead
    reckons, says positioning is inoperative, has no position or a held one, or comes after
    a silence longer than ``erratic_run_gap_s``. Within
    ``erratic_window_s``, never back to high accuracy, with a step out of reach or a fix the
    jump check flags (the step into the run's first fix counts: a single degraded fix may be
    the scattered one) and none beyond ``2 * erratic_max_offset_m`` (a jump that far is a
    spoof's). A report without a position ends the run. The receiver says
    twice that its fix failed; a spoofer's fix is one it locks onto. Returns each run's
    first and last index into ``rows`` and its longest step, metres."""
    cfg = ctx.cfg
    mmsi, t = ctx.mmsi[rows], ctx.t[rows]
    acc = ctx.tracks["accuracy"].to_numpy()[rows]
    live = ~np.isin(ctx.second[rows], (SECOND_MANUAL, SECOND_DEAD_RECKONING, SECOND_INOPERATIVE))
    low = (acc == 0) & live
    new_mmsi = np.r_[True, mmsi[1:] != mmsi[:-1]]
    # A run also ends at reports without a position (not kinematic): the receiver's loss.
    cut = new_mmsi | np.r_[False, rows[1:] != rows[:-1] + 1]
    first = np.flatnonzero(low & (~np.r_[False, low[:-1]] | cut))
    last = np.flatnonzero(low & (~np.r_[low[1:], False] | np.r_[cut[1:], True]))
    # Runs that begin with the drop: the fix before, of the same MMSI, live and high.
    before = np.maximum(first - 1, 0)
    drop = ~new_mmsi[first] & (acc[before] == 1) & live[before]
    # What the receiver said next, in the whole table (a report without a position is not
    # kinematic); or it said nothing for longer than any nominal interval (ITU-R M.1371's
    # 3 min, ``erratic_run_gap_s``): some transponders send nothing without a fix.
    # Or its next fix is held (:func:`frozen_position`): the receiver stopped updating it.
    nxt = np.minimum(rows[last] + 1, ctx.n - 1)
    lost = (rows[last] + 1 < ctx.n) & (ctx.mmsi[nxt] == mmsi[last]) & (
        ~ctx.pos_valid[nxt] | np.isin(ctx.second[nxt], (SECOND_DEAD_RECKONING, SECOND_INOPERATIVE))
        | (ctx.t[nxt] - t[last] > cfg.erratic_run_gap_s) | frozen_position(ctx)[0][nxt])
    # Steps within each run, and into its first fix: the first degraded fix may be the
    # one that scattered.
    opens = np.zeros(len(rows), dtype=bool)
    opens[first] = True
    run = np.cumsum(opens) - 1
    inner = np.flatnonzero(low)
    # Out of reach: a raw step, or a fix the jump check puts out of the vessel's reach.
    out_of_reach = np.zeros(len(first), dtype=bool)
    np.logical_or.at(out_of_reach, run[inner], bad[inner] | jump_analysis(ctx).flagged[rows[inner]])
    longest = np.zeros(len(first))
    np.maximum.at(longest, run[inner], step[inner])
    keep = (drop & lost & out_of_reach & (longest <= 2 * cfg.erratic_max_offset_m)
            & (t[last] - t[first] <= cfg.erratic_window_s))
    return first[keep], last[keep], longest[keep]


def _sustained_scatter(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """Rows in runs of ``erratic_scatter_fixes`` consecutive fixes of a track segment, at
    most ``erratic_window_s`` long (or, reporting ``erratic_rest_sog_kn`` or less, none
    ``erratic_run_gap_s`` apart), whose median scatter (:func:`fix_scatter`) exceeds
    ``erratic_min_scatter_m``, or ``erratic_noise_factor`` times the vessel's quiet level
    (the 25th percentile of its fixes' scatter) when that is less, but at least
    ``erratic_quiet_scatter_m``; and the highest such median over each row, metres.

    Per segment, so two transmitters on one MMSI are two tracks; scatter beyond
    ``2 * erratic_max_offset_m`` is a jump and left out. The median is over the others,
    needing more than half the run's fixes. Of a run longer than ``erratic_window_s``
    (a ship at anchor reports every 3 min), only the fixes from its first to its last
    one beyond the limit: the jammer may have stopped within the run.
    """
    cfg = ctx.cfg
    width = cfg.erratic_scatter_fixes
    rows = ctx.seg_rows[ctx.kinematic[ctx.seg_rows]]
    n = len(rows)
    if n < width:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    seg, t = ctx.segment[rows], ctx.t[rows]
    scatter = fix_scatter(ctx, rows)
    scatter[scatter > 2 * cfg.erratic_max_offset_m] = np.nan
    mmsi = ctx.mmsi[rows]
    quiet = pd.Series(scatter).groupby(mmsi).quantile(0.25).reindex(mmsi).to_numpy()
    limit = np.clip(cfg.erratic_noise_factor * np.nan_to_num(quiet, nan=np.inf), cfg.erratic_quiet_scatter_m,
                    cfg.erratic_min_scatter_m)
    runs = np.sort(sliding_window_view(np.nan_to_num(scatter, nan=np.inf), width), axis=1)  # NaN last
    short = t[width - 1:] - t[: n - width + 1] <= cfg.erratic_window_s
    at_rest = (sliding_window_view(np.diff(t), width - 1).max(axis=1) <= cfg.erratic_run_gap_s) & (
        sliding_window_view(np.nan_to_num(ctx.sog[rows], nan=np.inf), width).max(axis=1) <= cfg.erratic_rest_sog_kn)
    one = (seg[width - 1:] == seg[: n - width + 1]) & (short | at_rest)
    count = np.isfinite(runs).sum(axis=1)
    enough = count > width // 2
    at = np.arange(len(runs))
    level = np.where(enough, 0.5 * (runs[at, np.maximum(count - 1, 0) // 2] + runs[at, count // 2]), np.nan)
    start = np.flatnonzero(one & enough & (level > limit[: len(level)]))
    over = sliding_window_view(np.nan_to_num(scatter, nan=0.0) > limit, width)[start] | short[start, None]
    first, last = over.argmax(axis=1), width - 1 - over[:, ::-1].argmax(axis=1)
    top = np.zeros(n)
    for k in range(width):
        on = (first <= k) & (k <= last)
        np.maximum.at(top, start[on] + k, level[start[on]])
    hit = top > 0
    return rows[hit], top[hit]


def erratic_fix(ctx: Context) -> Result:
    """The fix scatters around the track: a degraded receiver (jamming), not a spoof.

    A jammed receiver still computing positions from weak signals puts each one
    somewhere new near the ship; a spoofer's fake fix is one coherent position or
    track (the receiver locks onto it), and a second transmitter on the MMSI is
    another track: one ship plus one other source never needs three places at
    once. Evidence of three, firing on every fix from the first to the last
    (of the track segments that showed it: a second transmitter is another track):

    * two spikes of an MMSI (:func:`_spikes`: one-report excursions no ship can
      sail), not neighbours, at most ``erratic_window_s`` apart, each at most
      ``erratic_max_offset_m`` off the track, that disagree with each other more
      than either lies off the track -- as offsets from it (not one displaced
      copy of the track) and, by more than the GNSS slack, as places (not one
      false position, not a second transmitter taking turns);
    * three consecutive fixes each out of reach of the other two
      (``impossible_jump``'s reach) within ``2 * erratic_max_offset_m`` of one
      another: scatter too wide for a spike's neighbours to agree;
    * ``erratic_scatter_fixes`` consecutive fixes of a track segment whose
      median scatter (:func:`fix_scatter`, :func:`_sustained_scatter`) exceeds the
      receiver's limit: scatter below any impossible step, sustained, under way or
      at anchor;
    * fixes out of reach between the receiver's own drop to low accuracy and its
      own loss of the fix (:func:`_degraded_then_lost`): a receiver tracking ever
      weaker signals before it gives up.

    The stretch then reaches the vessel's other excursions (spikes, steps out
    of reach) within ``erratic_window_s`` before and after it: the same
    receiver's scatter. Magnitude: the widest scatter in the stretch, metres (a
    spike's offset from the track, a triple's longest side, a median scatter).
    """
    cfg = ctx.cfg
    rows, _, bad, step = raw_steps(ctx)  # the kinematic rows, MMSI then time order
    fired = np.zeros(ctx.n, dtype=bool)
    mag = np.full(ctx.n, np.nan)
    if len(rows) < 3:
        return fired, mag
    mmsi, t = ctx.mmsi[rows], ctx.t[rows]
    # Each fix to the one two later: a spike's neighbours, a triple's ends.
    a, c = np.arange(len(rows) - 2), np.arange(2, len(rows))
    ac = haversine_m(ctx.lat[rows[a]], ctx.lon[rows[a]], ctx.lat[rows[c]], ctx.lon[rows[c]])
    ac_reach = ctx.reachable_m(ctx.step_limit_kn(rows[a], rows[c]), t[c] - t[a])
    b, east, north = _spikes(ctx, rows, step, ac, ac_reach)
    size = np.hypot(east, north)
    near_track = size <= cfg.erratic_max_offset_m
    # The vessel's excursions a stretch may reach: spikes, and steps out of reach yet
    # within the scatter's bounds (a jump farther is a spoof's, and stays evidence).
    b, east, north, size = b[near_track], east[near_track], north[near_track], size[near_track]
    excursion = bad & (step <= 2 * cfg.erratic_max_offset_m)
    excursion[b] = True
    lat, lon = ctx.lat[rows[b]], ctx.lon[rows[b]]
    mark = np.zeros(len(rows) + 1, dtype=np.int64)
    for lag in range(1, len(b)):
        i, j = np.arange(len(b) - lag), np.arange(lag, len(b))
        near = (mmsi[b[i]] == mmsi[b[j]]) & (t[b[j]] - t[b[i]] <= cfg.erratic_window_s)
        if not near.any():
            break  # spikes are in time order: later lags are farther apart still
        bigger = np.maximum(size[i], size[j])
        hit = near & (b[j] - b[i] >= 2) & (np.hypot(east[i] - east[j], north[i] - north[j]) > bigger) & (
            haversine_m(lat[i], lon[i], lat[j], lon[j]) > bigger + cfg.jump_distance_tolerance_m)
        np.add.at(mark, b[i[hit]], 1)
        np.add.at(mark, b[j[hit]] + 1, -1)
    # Three consecutive fixes, each out of reach of the other two.
    wide = np.fmax(np.fmax(step[a + 1], step[c]), ac)
    triple = bad[a + 1] & bad[c] & (mmsi[a] == mmsi[c]) & (wide <= 2 * cfg.erratic_max_offset_m) & (ac > ac_reach)
    np.add.at(mark, a[triple], 1)
    np.add.at(mark, c[triple] + 1, -1)
    # Scatter below any single impossible step, but sustained.
    sustained_rows, sustained_level = _sustained_scatter(ctx)
    sustained = np.searchsorted(rows, sustained_rows)  # rows are ascending table rows
    np.add.at(mark, sustained, 1)
    np.add.at(mark, sustained + 1, -1)
    run_first, run_last, run_scatter = _degraded_then_lost(ctx, rows, bad, step)
    np.add.at(mark, run_first, 1)
    np.add.at(mark, run_last + 1, -1)
    evidence = np.cumsum(mark[:-1]) > 0
    if not evidence.any():
        return fired, mag
    new_mmsi = np.r_[True, mmsi[1:] != mmsi[:-1]]

    def stretches(on: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """First and last index of each run of ``on`` within an MMSI, and each index's run number."""
        start = on & (~np.r_[False, on[:-1]] | new_mmsi)
        end = on & (~np.r_[on[1:], False] | np.r_[new_mmsi[1:], True])
        return np.flatnonzero(start), np.flatnonzero(end), np.cumsum(start)

    # Reach out to the excursions within the window on either side of each stretch
    # (the window keeps to the stretch's MMSI).
    ex = np.append(np.flatnonzero(excursion), len(rows))  # a sentinel past the end
    first, last, _ = stretches(evidence)
    lo = ex[np.searchsorted(ex, window_first(mmsi, t, cfg.erratic_window_s)[first])]
    order = np.arange(len(rows))[::-1]  # reversed time within each MMSI: the window after
    end = order[window_first(mmsi[::-1], -t[::-1], cfg.erratic_window_s)[order[last]]]
    hi = np.r_[-1, ex][np.searchsorted(ex, end, side="right")]
    mark = np.zeros(len(rows) + 1, dtype=np.int64)
    np.add.at(mark, np.minimum(lo, first), 1)
    np.add.at(mark, np.maximum(hi, last) + 1, -1)
    on = np.cumsum(mark[:-1]) > 0
    # Only the track segments with evidence in the stretch: a second transmitter on the
    # MMSI, reporting in between, is another track.
    _, _, stretch = stretches(on)
    seg = ctx.segment[rows]
    key = stretch * (int(seg.max()) + 1) + seg
    on &= np.isin(key, key[evidence])
    scatter = np.zeros(len(rows))
    np.maximum.at(scatter, b, size)
    np.maximum.at(scatter, a[triple] + 1, wide[triple])
    np.maximum.at(scatter, sustained, sustained_level)
    np.maximum.at(scatter, run_last, run_scatter)
    fired[rows[on]] = True
    mag[rows[on]] = pd.Series(scatter[on]).groupby(stretch[on]).transform("max").to_numpy()
    return fired, mag
