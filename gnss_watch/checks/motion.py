"""Checks on motion: steps no vessel can make, and reported SOG/COG that the track belies.

``impossible_jump`` works on each MMSI's raw time order (a teleported stretch
gets a segment of its own from the segmenter, so per-segment steps would never
see it); the speed and course checks work per track segment, so two vessels
sharing an MMSI are compared each with its own track.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..geo import EARTH_RADIUS_M, KNOT_MS, angle_diff_deg, bearing_deg, haversine_m, local_xy
from ..schema import SECOND_DEAD_RECKONING
from .context import Context, group_first_index, range_min_max, window_first
from .receiver import heard_where_it_claims

Result = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Jumps:
    """Per-row outcome of the jump analysis (arrays on the tracks' rows).

    ``flagged``: the report is out of reach of the vessel's last plausible position
    (every report of a teleported stretch, not only its first), and its radio was not
    another transmitter with the MMSI (:func:`_another_radio`).
    ``excess_kn``: implied speed from that position beyond the vessel's limit, knots.
    ``from_m``: distance from that position, metres. For a jump-and-return the
    flagged run is the displaced stretch; the reports on either side are where the
    vessel really was.
    ``candidate``: flagged by either pass (a superset of ``flagged``: where the two
    disagree, one side of the jump is displaced but kinematics cannot say which),
    but not sent by another transmitter; ``from_m`` is set on these too.
    """

    flagged: np.ndarray
    excess_kn: np.ndarray
    from_m: np.ndarray
    candidate: np.ndarray


def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Scalar :func:`geo.haversine_m` for the sequential pass (numpy per call is 10x slower)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


def _identity_conflict(seg: np.ndarray, min_alternations: int, min_reports: int) -> tuple[np.ndarray, bool]:
    """Rows of one MMSI (time order) that belong to a second transmitter, and whether
    the MMSI is clearly not one vessel at all.

    Two segments that take turns at least ``min_alternations`` times, each with at
    least ``min_reports`` reports, are two transmitters on one MMSI: the smaller one
    is left out of the jump analysis. A jump-and-return takes turns only twice. More
    than two such segments: the MMSI is shared by many devices.
    """
    turn = np.flatnonzero(seg[1:] != seg[:-1]) + 1
    exclude = np.zeros(len(seg), dtype=bool)
    if len(turn) < min_alternations:
        return exclude, False
    pairs = np.sort(np.column_stack([seg[turn - 1], seg[turn]]), axis=1)
    pair, count = np.unique(pairs, axis=0, return_counts=True)
    ids, sizes = np.unique(seg, return_counts=True)
    size = dict(zip(ids.tolist(), sizes.tolist()))
    conflict = [(a, b) for (a, b), c in zip(pair.tolist(), count.tolist())
                if c >= min_alternations and min(size[a], size[b]) >= min_reports]
    if len({s for p in conflict for s in p}) > 2:
        return exclude, True
    for a, b in conflict:
        exclude |= seg == (b if size[b] <= size[a] else a)
    return exclude, False


def _anchor_pass(
    t: np.ndarray, t_fix: np.ndarray, lat: np.ndarray, lon: np.ndarray, limit_ms: np.ndarray, sog: np.ndarray,
    current: np.ndarray, bad: np.ndarray, ctx: Context,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One direction of the jump analysis over one MMSI's usable reports.

    The anchor is the last accepted (plausible) report. A report the anchor can reach
    is accepted and becomes the anchor; one it cannot reach is flagged and opens a
    displaced stretch, unless it repeats a position accepted within ``stale_window_s``
    (a late copy, see ``stale_match_m``) and its time stamp is not ``current``
    (:func:`_current`). Inside a stretch a report the
    last flagged one can reach continues the stretch, and one only the anchor can
    reach ends it (the return); when both can, the nearer explanation (distance over
    reach) wins, so a stretch is not accepted merely because hours have made the
    anchor's reach cover it. ``limit_ms`` is each row's speed limit in m/s before the
    SOG hint; ``bad`` marks implausible raw steps: the pass only runs where the anchor
    may differ from the previous report. Reach is timed between fix times ``t_fix``
    (see :func:`_fix_times`), so the live fix coming back after a held one is no
    jump. ``t`` (seconds) must increase: the backward pass hands over negated times.
    Returns flagged, distance from the anchor (m) and excess speed (kn; a stretch keeps
    at least the excess of the jump that opened it).
    """
    cfg = ctx.cfg
    m = len(t)
    flagged = np.zeros(m, dtype=bool)
    from_m = np.full(m, np.nan)
    excess = np.full(m, np.nan)
    tol = cfg.jump_distance_tolerance_m
    cap = cfg.max_speed_surface_kn * KNOT_MS
    hint = cfg.sog_hint_factor * KNOT_MS * np.where(np.isfinite(sog), sog, 0.0)

    def slack(k: int, i: int) -> tuple[float, float, float, float]:
        """Distance, reach (m), time (s) and speed limit (m/s) from report k to report i,
        each as of its fix time."""
        dt = abs(t_fix[i] - t_fix[k])
        v = max(limit_ms[i], limit_ms[k], min(max(hint[i], hint[k]), cap))
        return _haversine(lat[k], lon[k], lat[i], lon[i]), v * dt + tol, dt, v

    def stale(i: int) -> bool:
        """Report i repeats (``stale_match_m``) a position accepted within the stale window."""
        k = np.searchsorted(t, t[i] - cfg.stale_window_s)
        k = k + np.flatnonzero(accepted[k:i])
        return bool(len(k)) and bool((haversine_m(lat[k], lon[k], lat[i], lon[i]) <= cfg.stale_match_m).any())

    bad_rows = np.flatnonzero(bad)
    a = bad_rows[0] - 1
    f = f_open = -1  # last and first flagged report of the open stretch, -1 when none is open
    accepted = np.zeros(m, dtype=bool)
    accepted[: a + 1] = True  # every report before the first bad step is plausible
    last_bad = bad_rows[-1]
    for i in range(bad_rows[0], m):
        if i > last_bad and a == i - 1:
            break  # every later raw step is plausible and starts from the anchor
        d, reach, dt, v = slack(a, i)
        over = max(0.0, (d - tol) / max(dt, 1.0) - v) / KNOT_MS
        if f >= 0:
            d_f, reach_f = slack(f, i)[:2]
            if d_f <= reach_f and (d > reach or d / reach > d_f / reach_f):
                f = i  # the stretch goes on, as displaced as when it opened
                flagged[i], from_m[i], excess[i] = True, d, max(over, excess[f_open])
                continue
        if d <= reach:
            a, f = i, -1
            accepted[i] = True
            continue
        if not current[i] and stale(i):
            continue
        f = f_open = i
        flagged[i], from_m[i], excess[i] = True, d, over
    return flagged, from_m, excess


def _current(t: np.ndarray, second: np.ndarray, fix_age_s: float) -> np.ndarray:
    """Whether each report's UTC second (ITU-R M.1371: the second of its fix, 0-59) agrees with
    its receive time ``t`` (epoch seconds): the fix at most ``fix_age_s`` older, give or take a
    second of receive-time rounding. A late copy, received minutes after it was sent, carries
    its original's second, so (but about one time in twelve) it disagrees; a vessel really back at
    a place it held an hour ago sends its current second."""
    sec = second.astype(float)
    age = np.mod(t - sec + 30.0, 60.0) - 30.0  # how old the fix is, within a minute either way
    return (sec >= 0) & (sec <= 59) & (age >= -1.0) & (age <= fix_age_s + 1.0)


def _fix_times(t: np.ndarray, lat: np.ndarray, lon: np.ndarray, sog: np.ndarray, min_sog_kn: float) -> np.ndarray:
    """Time (s) each report's fix was taken: a fix repeated exactly while the reported
    SOG (knots) is at least ``min_sog_kn`` is held (frozen_position's case, a receiver
    that lost the satellites) and dates from its first report, since it says nothing of
    where the vessel went after. A stationary vessel's repeated fix is fresh."""
    new = np.ones(len(t), dtype=bool)
    with np.errstate(invalid="ignore"):
        new[1:] = (lat[1:] != lat[:-1]) | (lon[1:] != lon[:-1]) | ~(sog[1:] >= min_sog_kn)
    return t[np.maximum.accumulate(np.where(new, np.arange(len(t)), 0))]


def _reconcile(fwd: np.ndarray, bwd: np.ndarray, bad: np.ndarray, minority: float) -> np.ndarray:
    """Combine the forward and backward flags of one MMSI.

    Both flag a displaced stretch bounded by the true track on both sides. Where they
    disagree, one pass accepted a report the other found out of reach, typically
    across a long silence whose reach covers a displaced report. When only one pass's
    disagreement is a jump and a return (it came back to an accepted report before the
    recording's far end) and the other's is a jump that never returns (it runs to the
    recording's end), the returning one is the explanation, as it keeps a whole track on
    both sides -- unless the one that never returns flags a clear minority (at most
    ``minority`` times the other): a few odd reports at the recording's end, and a pass
    anchored on them 'returns' to the true track only once hours of reach cover it,
    flagging hours of it. When neither or both return, the recording starts or ends on
    one side of a jump: the side flagged by one pass is taken when it is the clear
    minority, since a displaced stretch is short against a vessel's track; otherwise
    only the reports arriving by the impossible steps (``bad``, forward flagged) are.
    """
    both = fwd & bwd
    f_only, b_only = fwd & ~bwd, bwd & ~fwd
    n_f, n_b = int(f_only.sum()), int(b_only.sum())
    if n_f + n_b == 0:
        return both
    # The forward pass anchors on the first report and the backward on the last, so a
    # stretch that never returns flags the last (forward) or the first (backward).
    f_open, b_open = bool(fwd[-1]), bool(bwd[0])
    if f_open != b_open:
        (open_, n_open), (back, n_back) = ((f_only, n_f), (b_only, n_b)) if f_open else ((b_only, n_b), (f_only, n_f))
        if n_back:
            return both | (open_ if n_open <= minority * n_back else back)
    if min(n_f, n_b) <= minority * max(n_f, n_b):
        return both | (f_only if n_f < n_b else b_only)
    return both | (fwd & bad)


def _another_radio(ctx: Context, r: np.ndarray, flag: np.ndarray) -> np.ndarray:
    """The flagged runs of one MMSI's rows ``r`` that another transmitter sent: heard only by
    stations in reach of where the run claims to be, none of which heard the vessel's
    unflagged reports, and out of reach of the vessel at the report before the run (after
    it, for a run opening the recording); see
    :func:`~gnss_watch.checks.receiver.heard_where_it_claims`."""
    out = np.zeros(len(r), dtype=bool)
    edges = np.flatnonzero(np.diff(np.r_[0, flag.astype(np.int8), 0]))
    for a, b in zip(edges[::2], edges[1::2]):  # the run is r[a:b]
        k = r[a - 1] if a > 0 else r[b] if b < len(r) else -1
        if k >= 0 and heard_where_it_claims(ctx, r[a:b], r[~flag], k):
            out[a:b] = True
    return out


def raw_steps(ctx: Context) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ``kinematic`` rows (MMSI, time order), whether each follows a row of the same
    MMSI, whether the step from that row is out of reach (``Context.reachable_m``), and
    its length, metres (0 at an MMSI's first row). Cached on ``ctx``."""
    if "raw_steps" in ctx.cache:
        return ctx.cache["raw_steps"]
    rows = np.flatnonzero(ctx.kinematic)
    mmsi = ctx.mmsi[rows]
    same = np.zeros(len(rows), dtype=bool)
    same[1:] = mmsi[1:] == mmsi[:-1]
    prev = np.where(same, np.roll(rows, 1), rows)
    dist = haversine_m(ctx.lat[prev], ctx.lon[prev], ctx.lat[rows], ctx.lon[rows])
    reach = ctx.reachable_m(ctx.step_limit_kn(rows, prev), ctx.t[rows] - ctx.t[prev])
    ctx.cache["raw_steps"] = rows, same, same & (dist > reach), dist
    return ctx.cache["raw_steps"]


def jump_analysis(ctx: Context) -> Jumps:
    """Find reports out of reach of their vessel's last plausible position (cached on ``ctx``).

    Per MMSI in raw time order, on the ``kinematic`` rows (no AtoN, no placeholder
    MMSIs such as 111111111, no guessed times), leaving out the second transmitter of
    a shared MMSI and dead-reckoned positions (the live fix coming back after dead
    reckoning is judged from the last live one, as after a silence; a reckoned position
    takes the flag of the fix it carries on from); only MMSIs with an implausible raw
    step go through the sequential :func:`_anchor_pass`. A forward pass anchors on the first report, a backward pass
    on the last; :func:`_reconcile` combines them, so a recording that starts (or
    ends) inside a displaced stretch flags the stretch rather than the true track.
    A stretch whose radio was where it claims to be, out of earshot of the vessel
    (:func:`_another_radio`), is another transmitter with the MMSI and is not flagged.
    """
    if "jumps" in ctx.cache:
        return ctx.cache["jumps"]
    cfg = ctx.cfg
    flagged = np.zeros(ctx.n, dtype=bool)
    candidate = np.zeros(ctx.n, dtype=bool)
    excess = np.full(ctx.n, np.nan)
    from_m = np.full(ctx.n, np.nan)
    rows, same, bad, _ = raw_steps(ctx)
    starts = np.flatnonzero(~same)
    bounds = np.append(starts, len(rows))
    limit_ms = ctx.speed_limit_kn * KNOT_MS
    for g in np.unique(np.searchsorted(starts, np.flatnonzero(bad), side="right") - 1):
        r = rows[bounds[g]: bounds[g + 1]]
        exclude, ignore = _identity_conflict(ctx.segment[r], cfg.identity_min_alternations, cfg.identity_min_reports)
        if ignore:
            continue
        # A position the receiver says it dead-reckoned (UTC second 62, ITU-R M.1371) is no
        # fix: it drifts from the truth by whatever the vessel did since the last one.
        r_all = r[~exclude]
        reckoned = ctx.second[r_all] == SECOND_DEAD_RECKONING
        r = r_all[~reckoned]
        if len(r) < 2:
            continue
        # Steps change where rows were left out: recompute them.
        d = haversine_m(ctx.lat[r[:-1]], ctx.lon[r[:-1]], ctx.lat[r[1:]], ctx.lon[r[1:]])
        b = np.append(False, d > ctx.reachable_m(ctx.step_limit_kn(r[1:], r[:-1]), np.diff(ctx.t[r])))
        if not b.any():
            continue
        t_fix = _fix_times(ctx.t[r], ctx.lat[r], ctx.lon[r], ctx.sog[r], cfg.frozen_min_sog_kn)
        args = (ctx.t[r], t_fix, ctx.lat[r], ctx.lon[r], limit_ms[r], ctx.sog[r],
                _current(ctx.t[r], ctx.second[r], cfg.erratic_fix_age_s))
        fwd = _anchor_pass(*args, b, ctx)
        back_bad = np.append(b[1:], False)[::-1]  # step i->i+1 read backwards
        rev = (-args[0][::-1], -args[1][::-1], *(x[::-1] for x in args[2:]))
        bwd = tuple(x[::-1] for x in _anchor_pass(*rev, back_bad, ctx))
        flagged[r] = _reconcile(fwd[0], bwd[0], b, cfg.jump_minority_ratio)
        other = _another_radio(ctx, r, flagged[r])
        flagged[r] &= ~other
        candidate[r] = (fwd[0] | bwd[0]) & ~other
        from_m[r] = np.where(fwd[0], fwd[1], bwd[1])
        excess[r] = np.where(fwd[0], fwd[2], bwd[2])
        # A reckoned position carries on from the fix before it, displaced with it (a
        # receiver spoofed, then jammed).
        src = np.maximum.accumulate(np.where(reckoned, -1, np.arange(len(r_all))))
        k = np.flatnonzero(reckoned & (src >= 0))
        for col in (flagged, candidate, from_m, excess):
            col[r_all[k]] = col[r_all[src[k]]]
    out = Jumps(flagged, np.where(flagged, excess, np.nan), np.where(candidate, from_m, np.nan), candidate)
    ctx.cache["jumps"] = out
    return out


def impossible_jump(ctx: Context) -> Result:
    """The report is out of reach of the vessel's last plausible position at the fastest
    speed its class and ship type allow (see :func:`jump_analysis`), with a distance
    tolerance for GNSS noise at short gaps. Shared MMSIs (segments persistently taking
    turns, or a stretch heard only where it claims to be, out of earshot of the vessel)
    and placeholder MMSIs do not fire. Magnitude: excess implied speed, knots.
    """
    j = jump_analysis(ctx)
    return j.flagged.copy(), j.excess_kn.copy()


def track_divergence(ctx: Context) -> Result:
    """A stretch that drifted gradually off the vessel's track, next to a step no ship
    can make: a spoofer pulling the position away at a plausible speed and letting
    it snap back (or jumping it away and walking it back).

    For each impossible step between consecutive reports of an MMSI, and each side
    of it in turn:

    - the track on that side (``divergence_fit_s`` of it, at least
      ``divergence_min_reports`` reports, straight within ``divergence_fit_rms_m``
      RMS) is extended as a straight line across the step;
    - the reports on the other side that lie off that line by more than
      ``divergence_tolerance_m`` + ``divergence_tolerance_kn`` x the time from the
      step, a run of at least ``divergence_min_reports`` starting at the step and
      joined by plausible steps, fire when the track then rejoins the line within
      ``divergence_max_s``: ``divergence_min_reports`` reports on it, and beyond
      them the same straight motion (velocity within ``divergence_rejoin_kn``), so
      a ship that really turned, or changed course during a silence, does not
      count. The ship's own track before and after says where it was;
    - the run reaches back over the reports next to it whose reported SOG/COG
      differ from the line's velocity by more than ``divergence_tolerance_kn``:
      a pull-off's first minutes, still within the tolerance.

    Runs holding a held or dead-reckoned fix are left to frozen_position and
    dead_reckoning, and a line fitted through one is no track. Magnitude: metres
    off the line.
    """
    fired = np.zeros(ctx.n, dtype=bool)
    mag = np.full(ctx.n, np.nan)
    rows, same, bad, _ = raw_steps(ctx)
    if not bad.any():
        return fired, mag
    mmsi, t = ctx.mmsi[rows], ctx.t[rows]
    lat, lon = ctx.lat[rows], ctx.lon[rows]
    from .fix import dead_reckoned  # fix.py builds on this module's steps

    held = same & (lat == np.roll(lat, 1)) & (lon == np.roll(lon, 1))
    stale = held | dead_reckoned(ctx)[rows]
    # Each side of a step runs to the next impossible step (or the MMSI's end) and is
    # cut to the time the check looks at: a side that is too short, or a test side that
    # starts with a stale fix, needs no fit (nor a reference side holding one, below).
    cfg = ctx.cfg
    idx = np.arange(len(rows))
    lo = np.maximum(np.searchsorted(mmsi, mmsi, side="left"), np.maximum.accumulate(np.where(bad, idx, 0)))
    next_bad = np.minimum.accumulate(np.r_[np.where(bad, idx, len(rows)), len(rows)][::-1])[::-1]
    hi = np.minimum(np.searchsorted(mmsi, mmsi, side="right"), next_bad[idx + 1])
    n_min = cfg.divergence_min_reports
    for i in np.flatnonzero(bad).tolist():  # impossible steps are rare
        before, after = np.arange(i - 1, lo[i - 1] - 1, -1), np.arange(i, hi[i])
        for ref, test in ((after, before), (before, after)):  # drifted off and snapped back; or the reverse
            if len(ref) < n_min or len(test) < 2 * n_min or stale[test[0]]:
                continue
            hit, off = _divergent_run(ctx, rows, t, lat, lon, stale, ref, test)
            fired[rows[hit]] = True
            mag[rows[hit]] = np.fmax(mag[rows[hit]], off)
    return fired, mag


def _divergent_run(
    ctx: Context, rows: np.ndarray, t: np.ndarray, lat: np.ndarray, lon: np.ndarray, stale: np.ndarray,
    ref: np.ndarray, test: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """One side of :func:`track_divergence`: ``ref`` and ``test`` index ``rows`` (and ``t``,
    ``lat``, ``lon``, ``stale`` on them) away from an impossible step on either side of it,
    each up to the next impossible step (``stale``: a held or dead-reckoned fix). Returns
    the divergent run's indices and their distances off the line (metres), both empty
    when none."""
    cfg = ctx.cfg
    none = (np.zeros(0, dtype=np.intp), np.zeros(0))
    n_min = cfg.divergence_min_reports
    lat0, lon0 = lat[ref[0]], lon[ref[0]]

    def line(side: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Position at ``t[ref[0]]`` and velocity (m, m/s, local plane) of the straight track
        through ``side`` (indices in order away from its first), or None where it is not one."""
        side = side[np.abs(t[side] - t[side[0]]) <= cfg.divergence_fit_s]
        ts = t[side] - t[ref[0]]
        if len(side) < n_min or np.ptp(ts) <= 0:
            return None
        x, y = local_xy(lat[side], lon[side], lat0, lon0)
        (vx, x0), (vy, y0) = np.polyfit(ts, x, 1), np.polyfit(ts, y, 1)
        if np.sqrt(np.mean((x - x0 - vx * ts) ** 2 + (y - y0 - vy * ts) ** 2)) > cfg.divergence_fit_rms_m:
            return None
        return np.array([x0, y0]), np.array([vx, vy])

    # The line is the ship's own track: through a held or dead-reckoned fix it is the
    # receiver's projection from wherever its fix last was (a degraded one, 500 m off).
    if stale[ref[np.abs(t[ref] - t[ref[0]]) <= cfg.divergence_fit_s]].any():
        return none
    test = test[np.abs(t[test] - t[ref[0]]) <= cfg.divergence_max_s]
    fit = line(ref)
    if fit is None or len(test) < 2 * n_min:
        return none
    p0, v = fit
    tt = t[test] - t[ref[0]]
    xt, yt = local_xy(lat[test], lon[test], lat0, lon0)
    off = np.hypot(xt - p0[0] - v[0] * tt, yt - p0[1] - v[1] * tt)
    away = off > cfg.divergence_tolerance_m + cfg.divergence_tolerance_kn * KNOT_MS * np.abs(tt)
    run = int(np.argmin(away)) if not away.all() else len(away)
    if run < n_min or run + n_min > len(away) or away[run: run + n_min].any():
        return none
    # A pull-off grows from nothing, so its first minutes lie within the tolerance: the
    # run reaches back over the reports whose own SOG/COG already left the line's
    # velocity by more than the tolerance speed, if the track still rejoins after them.
    rad = np.radians(ctx.cog[rows[test]])
    sog = ctx.sog[rows[test]] * KNOT_MS
    with np.errstate(invalid="ignore"):
        leaves = np.hypot(sog * np.sin(rad) - v[0], sog * np.cos(rad) - v[1]) > cfg.divergence_tolerance_kn * KNOT_MS
    longer = run + (int(np.argmin(leaves[run:])) if not leaves[run:].all() else len(leaves) - run)
    runs = [longer, run] if longer + n_min <= len(away) and not away[longer: longer + n_min].any() else [run]
    # The track beyond the run is the same straight motion, not a line crossing it at an
    # angle (a course change over a long silence puts a few fixes near the line too). Where
    # it is not beyond the reach-back (the ship turning before the pull-off), the run
    # without it is tried.
    for run in runs:  # one or two
        rejoin = line(test[run:])
        if rejoin is not None and np.hypot(*(rejoin[1] - v)) <= cfg.divergence_rejoin_kn * KNOT_MS:
            break
    else:
        return none
    # The run is live: a held or dead-reckoned fix lags the ship (frozen_position's and
    # dead_reckoning's), its return is no spoof's end.
    if stale[test[:run]].any():
        return none
    # ... and it comes back: a pull-off's distance off the line shrinks towards where the
    # track rejoins. A track parallel to the line (the true one beside a spoof displaced by a
    # constant offset) only meets the tolerance as it widens with time.
    if off[:run].max() - off[max(run - n_min, 0): run].min() < cfg.divergence_tolerance_m:
        return none
    return test[:run], off[:run]


@dataclass(frozen=True)
class _Windows:
    """Per-segment comparison intervals ending at each usable row (see :func:`_windows`)."""

    rows: np.ndarray  # table rows of the interval ends
    start: np.ndarray  # table rows of the interval starts
    dt: np.ndarray  # seconds
    chord: np.ndarray  # metres, straight line start -> end
    path: np.ndarray  # metres, along the reports
    sog: np.ndarray  # time-weighted mean reported SOG, knots (NaN if any is missing)
    sog_min: np.ndarray  # lowest and highest reported SOG, knots (NaN if any is missing)
    sog_max: np.ndarray
    held: np.ndarray  # the interval holds an exact repeat of a fix
    cog_mean: np.ndarray  # circular mean of reported COG, degrees (NaN if any is missing)
    cog_steady: np.ndarray  # mean resultant length of the COG unit vectors, 0..1


def _windows(ctx: Context) -> _Windows:
    """For every usable row, the interval back to the latest report of its segment at
    least ``mismatch_min_interval_s`` earlier, kept when no longer than
    ``mismatch_max_interval_s``. Cached on ``ctx``."""
    if "windows" in ctx.cache:
        return ctx.cache["windows"]
    cfg = ctx.cfg
    rows = ctx.seg_rows[ctx.kinematic[ctx.seg_rows]]
    seg, t = ctx.segment[rows], ctx.t[rows]
    lat, lon, sog, cog = ctx.lat[rows], ctx.lon[rows], ctx.sog[rows], ctx.cog[rows]
    first = group_first_index(seg)
    j = window_first(seg, t, cfg.mismatch_min_interval_s, side="right") - 1
    ok = (j >= first) & (t - t[np.maximum(j, 0)] <= cfg.mismatch_max_interval_s)
    i = np.flatnonzero(ok)
    j = j[ok]
    step = ctx.step_m[rows]
    cum_path = np.cumsum(step)
    # Exact repeats of a fix within a segment: a held fix (frozen_position's domain).
    cum_held = np.cumsum((step == 0) & (first != np.arange(len(rows))))
    # Trapezoid integral of SOG over time; NaN SOGs are counted so windows holding one are dropped.
    finite = np.isfinite(sog)
    s0 = np.where(finite, sog, 0.0)
    area = np.zeros(len(rows))
    area[1:] = np.where(seg[1:] == seg[:-1], 0.5 * (s0[1:] + s0[:-1]) * np.diff(t), 0.0)
    cum_area = np.cumsum(area)
    cum_nan = np.concatenate(([0], np.cumsum(~finite)))
    c_ok = np.isfinite(cog)
    rad = np.radians(np.where(c_ok, cog, 0.0))
    cum_cos = np.concatenate(([0.0], np.cumsum(np.cos(rad))))
    cum_sin = np.concatenate(([0.0], np.cumsum(np.sin(rad))))
    cum_cnan = np.concatenate(([0], np.cumsum(~c_ok)))

    dt = t[i] - t[j]
    sog_min, sog_max = range_min_max(s0, j, i)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_sog = np.where(cum_nan[i + 1] - cum_nan[j] == 0, (cum_area[i] - cum_area[j]) / dt, np.nan)
        k = (i - j + 1).astype(float)
        cx, sx = (cum_cos[i + 1] - cum_cos[j]) / k, (cum_sin[i + 1] - cum_sin[j]) / k
        has_cog = cum_cnan[i + 1] - cum_cnan[j] == 0
    out = _Windows(
        rows=rows[i], start=rows[j], dt=dt,
        chord=haversine_m(lat[j], lon[j], lat[i], lon[i]), path=cum_path[i] - cum_path[j],
        held=cum_held[i] > cum_held[j],
        sog=mean_sog, sog_min=np.where(np.isfinite(mean_sog), sog_min, np.nan),
        sog_max=np.where(np.isfinite(mean_sog), sog_max, np.nan),
        cog_mean=np.where(has_cog, np.degrees(np.arctan2(sx, cx)) % 360.0, np.nan),
        cog_steady=np.where(has_cog, np.hypot(cx, sx), np.nan),
    )
    ctx.cache["windows"] = out
    return out


def speed_mismatch(ctx: Context) -> Result:
    """Reported SOG against the speed the track implies over at least
    ``mismatch_min_interval_s``, within a segment.

    'Too fast': the straight-line distance (a turning vessel's chord is short, never
    long) beats the highest SOG reported over the interval. 'Too slow': the distance
    along the reports (GNSS jitter and late copies only lengthen it) falls short of
    the lowest SOG reported. Extremes rather than means, because sparse reports (a
    Class B at rest every 3 min) do not show when within the interval a vessel
    sped up or slowed down. Intervals holding an exact repeat of a fix are left to
    ``frozen_position``: a receiver holding its last fix is jamming, not spoofing. Fires when the larger excess passes ``speed_mismatch_kn``,
    ``speed_mismatch_rel`` of the larger speed and ``speed_mismatch_min_m`` over the
    interval, on the report closing the interval. Magnitude: the excess, knots.
    """
    cfg = ctx.cfg
    w = _windows(ctx)
    chord_kn = w.chord / w.dt / KNOT_MS
    path_kn = w.path / w.dt / KNOT_MS
    fast, slow = chord_kn - w.sog_max, w.sog_min - path_kn
    excess = np.fmax(fast, slow)
    ref = np.where(fast >= slow, chord_kn, w.sog_min)
    with np.errstate(invalid="ignore"):
        hit = (
            ~w.held
            & (excess >= cfg.speed_mismatch_kn)
            & (excess >= cfg.speed_mismatch_rel * ref)
            & (excess * KNOT_MS * w.dt >= cfg.speed_mismatch_min_m)
        )
    fired = np.zeros(ctx.n, dtype=bool)
    mag = np.full(ctx.n, np.nan)
    fired[w.rows[hit]] = True
    mag[w.rows[hit]] = excess[hit]
    return fired, mag


def course_mismatch(ctx: Context) -> Result:
    """Reported COG (circular mean over the interval) against the bearing of the track
    over the same interval, within a segment, when the vessel is moving (mean SOG at
    least ``course_min_sog_kn``), the leg is long enough against GNSS noise
    (``course_min_leg_m``) and the reported course is steady (``course_min_steadiness``).
    Magnitude: the absolute difference, degrees.
    """
    cfg = ctx.cfg
    w = _windows(ctx)
    lat, lon = ctx.lat, ctx.lon
    track = bearing_deg(lat[w.start], lon[w.start], lat[w.rows], lon[w.rows])
    diff = np.abs(angle_diff_deg(w.cog_mean, track))
    with np.errstate(invalid="ignore"):
        hit = (
            (w.sog >= cfg.course_min_sog_kn)
            & (w.chord >= cfg.course_min_leg_m)
            & (w.cog_steady >= cfg.course_min_steadiness)
            & (diff >= cfg.course_mismatch_deg)
        )
    fired = np.zeros(ctx.n, dtype=bool)
    mag = np.full(ctx.n, np.nan)
    fired[w.rows[hit]] = True
    mag[w.rows[hit]] = diff[hit]
    return fired, mag
