"""Split each MMSI's reports into physically continuous track segments.

:func:`build_tracks` returns the positions table sorted by ``(mmsi, time)``
with a fresh RangeIndex, every input row kept, plus ``TRACK_COLUMNS``:

==============  ========  ==========================================================
column          dtype     meaning
==============  ========  ==========================================================
pos_valid       bool      lat/lon available (finite, within +-90 / +-180, not 0 / 0)
segment         int64     track segment id, unique across the table, dense from 0,
                          ordered by MMSI then by the segment's first report
segment_start   category  on the first row of each segment, why it opens: 'first'
                          (first segment of its MMSI), 'gap' (the MMSI's segments
                          all fell silent for longer than ``max_gap_s`` and one of
                          them could reach the report), 'jump' (no segment of the
                          MMSI reachable at a plausible speed); '' on other rows
dt_s            float64   seconds since the previous valid report of the segment
dist_m          float64   great-circle distance from it, metres
implied_sog_kn  float64   dist_m / dt_s in knots (NaN when dt_s is 0)
bearing_deg     float64   track bearing from it, degrees 0..360 from true north
accel_kn_s      float64   change of speed per second, knots/s: reported SOG, or the
                          implied speed where SOG is not available
turn_deg_s      float64   change of track bearing per second, degrees/s, signed
                          (positive = starboard), between the midpoints of the two
                          legs; NaN when either leg is shorter than ``MIN_TURN_LEG_M``
==============  ========  ==========================================================

The six kinematic columns are NaN on invalid rows and at each segment's first
valid report. :func:`kinematics` computes them grouped by any key column.

Segmentation follows Global Fishing Watch's segmenter: each MMSI keeps up to
``max_open_segments`` open segments, and a report joins one it can reach,
``dist <= max_speed * dt + distance_tolerance_m``. Most MMSIs never take an
implausible step; for them segments are the splits on silences longer than
``max_gap_s``, computed vectorised. Only MMSIs with at least one implausible
step (shared MMSIs, position jumps) go through the sequential assignment.

Reports without a position (and the odd row without a time) stay in the
table with ``pos_valid`` False, in the segment of the MMSI's latest earlier
valid report (else its next one; an MMSI that never has a valid position
gets one segment of its own): a run of them is what GNSS jamming looks like.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import TrackConfig
from .geo import KNOT_MS, angle_diff_deg, bearing_deg, destination, haversine_m

TRACK_COLUMNS: dict[str, str] = {
    "pos_valid": "bool",
    "segment": "int64",
    "segment_start": "category",
    "dt_s": "float64",
    "dist_m": "float64",
    "implied_sog_kn": "float64",
    "bearing_deg": "float64",
    "accel_kn_s": "float64",
    "turn_deg_s": "float64",
}
KINEMATIC_COLUMNS = ["dt_s", "dist_m", "implied_sog_kn", "bearing_deg", "accel_kn_s", "turn_deg_s"]

#: ``segment_start`` categories; the codes index this tuple.
SEGMENT_STARTS = ("", "first", "gap", "jump")
_FIRST, _GAP, _JUMP = 1, 2, 3

#: Shortest leg, metres, whose bearing counts towards ``turn_deg_s``. A leg's
#: bearing is off by about atan(e / L) for a fix-to-fix position error e. On
#: real DMA traffic (dma_aisabnormal/ais-sample.txt.gz) consecutive fixes of
#: vessels at rest move 0.3 m (median), 5 m (99th percentile): at 50 m the
#: bearing error stays under ~6 deg, and anchor jitter (legs of a few metres)
#: never reads as turning. Class A at 10 kn reports every 10 s (ITU-R M.1371),
#: ~51 m legs, so turning at sea stays visible. The 500 m
#: ``distance_tolerance_m`` is not reused: it would blank ~100 % of legs.
MIN_TURN_LEG_M = 50.0

_NS = 1_000_000_000
_LAGS = 4  # reports back whose distances the sequential pass precomputes
_BLOCK = 64  # distances computed ahead at once from a fix left behind


def position_valid(df: pd.DataFrame) -> np.ndarray:
    """True where lat/lon are finite, within the WGS84 ranges and not exactly 0, 0: the
    default many receivers send without a fix instead of 91/181 ('Null Island', open
    sea in the Gulf of Guinea: no vessel reports it)."""
    lat = df["lat"].to_numpy(dtype=float)
    lon = df["lon"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        return (np.abs(lat) <= 90.0) & (np.abs(lon) <= 180.0) & ~((lat == 0.0) & (lon == 0.0))


def _epoch_ns(time: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Nanoseconds since the epoch (int64) and a mask of rows that have a time."""
    idx = pd.DatetimeIndex(time)
    if idx.tz is None:
        idx = idx.tz_localize("UTC")
    return idx.as_unit("ns").asi8, ~idx.isna()


def kinematics(df: pd.DataFrame, by: str, min_leg_m: float = MIN_TURN_LEG_M) -> pd.DataFrame:
    """Step kinematics between consecutive valid reports of each ``by`` group.

    Rows are taken in their current order within each group (sort by time
    first). Needs ``time, lat, lon, sog`` and ``by``. Returns the
    ``KINEMATIC_COLUMNS`` (units in the module docstring) on ``df``'s index,
    NaN on rows without a valid position or time and on each group's first
    valid row. ``min_leg_m`` (metres) is the shortest leg whose bearing counts
    towards ``turn_deg_s``.
    """
    return pd.DataFrame(_kinematic_arrays(df, df[by].to_numpy(), min_leg_m), index=df.index)


def _kinematic_arrays(df: pd.DataFrame, key: np.ndarray, min_leg_m: float) -> dict[str, np.ndarray]:
    """:func:`kinematics` as arrays, grouped by ``key`` (one value per row)."""
    n = len(df)
    t_ns, has_time = _epoch_ns(df["time"])
    rows = np.flatnonzero(position_valid(df) & has_time)
    key = key[rows]
    if len(key) and not np.all(key[1:] >= key[:-1]):  # build_tracks hands over sorted keys
        by_key = np.argsort(key, kind="stable")
        rows, key = rows[by_key], key[by_key]
    t = t_ns[rows]
    lat = df["lat"].to_numpy(dtype=float)[rows]
    lon = df["lon"].to_numpy(dtype=float)[rows]
    sog = df["sog"].to_numpy(dtype=float)[rows]

    m = len(rows)
    same = np.zeros(m, dtype=bool)  # row has a previous valid row in its group
    same[1:] = key[1:] == key[:-1]
    dt = np.full(m, np.nan)
    dist = np.full(m, np.nan)
    brg = np.full(m, np.nan)
    dt[1:] = (t[1:] - t[:-1]) / _NS
    dist[1:] = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    brg[1:] = bearing_deg(lat[:-1], lon[:-1], lat[1:], lon[1:])
    dt[~same] = dist[~same] = brg[~same] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        moving_dt = np.where(dt > 0, dt, np.nan)
        implied = dist / moving_dt / KNOT_MS
        speed = np.where(np.isfinite(sog), sog, implied)
        accel = np.full(m, np.nan)
        accel[1:] = (speed[1:] - speed[:-1]) / moving_dt[1:]
        # Bearings belong to leg midpoints, half a leg before and after the report.
        turn = np.full(m, np.nan)
        both = same[1:] & same[:-1] & (dist[1:] >= min_leg_m) & (dist[:-1] >= min_leg_m)
        mid_dt = (dt[1:] + dt[:-1]) / 2
        turn[1:] = np.where(both & (mid_dt > 0), angle_diff_deg(brg[1:], brg[:-1]) / mid_dt, np.nan)

    out = {}
    for name, values in zip(KINEMATIC_COLUMNS, (dt, dist, implied, brg, accel, turn)):
        col = np.full(n, np.nan)
        col[rows] = values
        out[name] = col
    return out


def _speed_limit_ms(df: pd.DataFrame, cfg: TrackConfig) -> np.ndarray:
    """Per-row plausible top speed, metres per second (aircraft for device 'SAR')."""
    sar = (df["device"] == "SAR").to_numpy(dtype=bool) if "device" in df.columns else np.zeros(len(df), bool)
    return np.where(sar, cfg.max_speed_sar_kn, cfg.max_speed_kn) * KNOT_MS


def _assign_open_segments(
    t: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    sog: np.ndarray,
    cog: np.ndarray,
    vmax: np.ndarray,
    implausible: np.ndarray,
    local: np.ndarray,
    code: np.ndarray,
    cfg: TrackConfig,
) -> None:
    """Sequential multi-segment assignment for one MMSI's valid reports in time order.

    ``t`` in nanoseconds from the MMSI's first report (float64, exact for
    spans under 104 days, so steps match the vectorised ones to the last bit),
    ``sog`` knots, ``cog`` degrees, ``vmax`` metres per second;
    ``implausible`` flags steps that no single track could make. ``local``
    (segment number within the MMSI, in order of creation) and ``code`` (the
    ``SEGMENT_STARTS`` code of reports that open a segment) arrive holding the
    gap-split chain and are rewritten in place. Until the first implausible
    step the chain is what this algorithm yields too, and so it is again once
    the last implausible step is past and a single segment is left open: the
    loop runs only between.

    Among reachable segments the report joins the one whose dead-reckoned
    position (last fix moved on by its SOG/COG, or the fix itself when those
    are not available) is nearest. That is how GFW ranks candidates: when two
    vessels on one MMSI are close, their motion tells them apart, where the
    nearest last fix would favour whichever reported most recently. Ties go
    to the most recently updated segment, then the oldest one.
    """
    bad = np.flatnonzero(implausible)
    first, last = int(bad[0]), int(bad[-1])
    cap, tol, gap_ns = cfg.max_open_segments, cfg.distance_tolerance_m, cfg.max_gap_s * _NS
    tl, vl = t.tolist(), vmax.tolist()
    # Distances are needed from each open segment's last fix to every report. Most
    # segments were last fed a few reports back: precompute those lags. A fix that
    # stays a segment's last (an outlier left open) gets distances a block ahead.
    back = [[]] + [
        [np.nan] * k + haversine_m(lat[:-k], lon[:-k], lat[k:], lon[k:]).tolist()
        for k in range(1, _LAGS + 1)
    ]
    ahead: dict[int, tuple[int, list[float]]] = {}

    def distance(j: int, i: int) -> float:
        if i - j <= _LAGS:
            return back[i - j][i]
        start, d = ahead.get(j, (i, []))
        if not start <= i < start + len(d):
            start, d = i, haversine_m(lat[j], lon[j], lat[i : i + _BLOCK], lon[i : i + _BLOCK]).tolist()
            ahead[j] = (start, d)
        return d[i - start]

    # Open segments: their ids and the rows of their last fixes, in slots.
    o_id = [int(local[first - 1])] + [-1] * (cap - 1)
    o_row = [first - 1] + [-1] * (cap - 1)
    n_seg = o_id[0] + 1
    # Last fixes (rows) of segments closed by silence: a report that finds every
    # segment silent opens a 'gap' if it could continue one of them.
    silent = (np.flatnonzero(code[:first] == _GAP) - 1)[-cap:].tolist()
    for i in range(first, len(tl)):
        ti = tl[i]
        for k in range(cap):
            if o_row[k] >= 0 and ti - tl[o_row[k]] > gap_ns:
                silent = sorted(silent + [o_row[k]])[-cap:]
                ahead.pop(o_row[k], None)
                o_id[k] = o_row[k] = -1
        open_ = [k for k in range(cap) if o_row[k] >= 0]
        if i > last and len(open_) == 1:
            # Plausible steps from here on: the open segment goes on, split at gaps.
            rest = np.cumsum(code[i:] == _GAP)
            local[i:] = np.where(rest == 0, o_id[open_[0]], n_seg - 1 + rest)
            return
        reach = [k for k in open_ if distance(o_row[k], i) <= vl[i] * ((ti - tl[o_row[k]]) / _NS) + tol]
        code[i] = 0
        if len(reach) == 1:
            k = reach[0]
        elif reach:
            j = np.array([o_row[k] for k in reach])
            moving = np.isfinite(sog[j]) & np.isfinite(cog[j])
            run = np.where(moving, sog[j] * KNOT_MS * ((ti - t[j]) / _NS), 0.0)
            dr_lat, dr_lon = destination(lat[j], lon[j], np.where(moving, cog[j], 0.0), run)
            miss = haversine_m(dr_lat, dr_lon, lat[i], lon[i])
            k = reach[np.lexsort(([o_id[k] for k in reach], -t[j], miss))[0]]
        else:
            code[i] = _JUMP
            if not open_ and silent:
                j = np.array(silent)
                if (haversine_m(lat[j], lon[j], lat[i], lon[i]) <= vmax[i] * ((ti - t[j]) / _NS) + tol).any():
                    code[i] = _GAP
            k = o_row.index(-1) if len(open_) < cap else min(open_, key=lambda k: o_row[k])  # evict the stalest
            o_id[k] = n_seg
            n_seg += 1
        ahead.pop(o_row[k], None)
        o_row[k] = i
        local[i] = o_id[k]


def build_tracks(positions: pd.DataFrame, config: TrackConfig | None = None) -> pd.DataFrame:
    """Sort positions by (mmsi, time) and add ``TRACK_COLUMNS`` (see the module docstring).

    No row is dropped; rows with equal (mmsi, time) keep their input order.
    ``config`` defaults to :class:`TrackConfig`'s defaults.
    """
    cfg = config or TrackConfig()
    df = positions.drop(columns=[c for c in TRACK_COLUMNS if c in positions.columns])
    t_ns, has_time = _epoch_ns(df["time"])
    mmsi = df["mmsi"].to_numpy(dtype=np.int64)
    order = np.lexsort((np.where(has_time, t_ns, np.iinfo(np.int64).max), mmsi))  # stable; rows without a time last
    df = df.take(order).reset_index(drop=True)
    t_ns, has_time, mmsi = t_ns[order], has_time[order], mmsi[order]
    n = len(df)
    valid = position_valid(df)

    # Steps between consecutive usable reports of one MMSI.
    rows = np.flatnonzero(valid & has_time)
    m_mmsi = mmsi[rows]
    t = t_ns[rows]
    lat = df["lat"].to_numpy(dtype=float)[rows]
    lon = df["lon"].to_numpy(dtype=float)[rows]
    vmax = _speed_limit_ms(df, cfg)[rows]
    opens = np.ones(len(rows), dtype=bool)  # first usable report of its MMSI
    opens[1:] = m_mmsi[1:] != m_mmsi[:-1]
    dt = np.zeros(len(rows))
    dt[1:] = (t[1:] - t[:-1]) / _NS
    dist = np.zeros(len(rows))
    dist[1:] = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    # A step across a silence counts too: an implausible one is a 'jump', not a 'gap'.
    implausible = ~opens & (dist > vmax * dt + cfg.distance_tolerance_m)
    gap = ~opens & (dt > cfg.max_gap_s)

    # Segments split on silences, numbered within the MMSI ...
    code = np.where(opens, _FIRST, np.where(gap, _GAP, 0)).astype(np.int8)
    starts = np.cumsum(opens | gap)
    first_of_mmsi = np.flatnonzero(opens)
    local = starts - starts[first_of_mmsi][np.cumsum(opens) - 1]
    # ... except where an MMSI takes an implausible step: sequential assignment.
    sog = df["sog"].to_numpy(dtype=float)[rows]
    cog = df["cog"].to_numpy(dtype=float)[rows]
    bounds = np.append(first_of_mmsi, len(rows))
    for g in np.unique(np.searchsorted(first_of_mmsi, np.flatnonzero(implausible), side="right") - 1):
        s = slice(bounds[g], bounds[g + 1])
        t_rel = (t[s] - t[s][0]).astype(float)
        _assign_open_segments(t_rel, lat[s], lon[s], sog[s], cog[s], vmax[s], implausible[s], local[s], code[s], cfg)

    # Every row takes the segment of its MMSI's latest usable report, else the next.
    row_first = np.ones(n, dtype=bool)
    row_first[1:] = mmsi[1:] != mmsi[:-1]
    mmsi_group = np.cumsum(row_first) - 1
    mmsi_start = np.flatnonzero(row_first)
    mmsi_end = np.append(mmsi_start[1:], n)
    usable = np.zeros(n, dtype=bool)
    usable[rows] = True
    prev = np.maximum.accumulate(np.where(usable, np.arange(n), -1))
    nxt = np.minimum.accumulate(np.where(usable, np.arange(n), n)[::-1])[::-1]
    src = np.where(prev >= mmsi_start[mmsi_group], prev, np.where(nxt < mmsi_end[mmsi_group], nxt, -1))
    full_local = np.full(n, -1, dtype=np.int64)
    full_local[rows] = local
    full_local = np.where(src >= 0, full_local[np.maximum(src, 0)], 0)  # no usable report: one segment

    # Global ids: the MMSI's offset plus its local number.
    n_local = np.maximum.reduceat(full_local + 1, mmsi_start) if n else np.zeros(0, dtype=np.int64)
    offset = np.concatenate(([0], np.cumsum(n_local)[:-1]))
    segment = offset[mmsi_group] + full_local

    # The reason a segment opens goes on its first row (an MMSI's leading
    # position-less rows join its first segment, and then carry its 'first').
    seg_code = np.full(int(n_local.sum()), _FIRST, dtype=np.int8)
    opened = code > 0
    seg_code[segment[rows[opened]]] = code[opened]
    start_code = np.zeros(n, dtype=np.int8)
    first_rows = np.flatnonzero(~pd.Series(segment).duplicated().to_numpy())
    start_code[first_rows] = seg_code[segment[first_rows]]

    df["pos_valid"] = valid
    df["segment"] = segment
    df["segment_start"] = pd.Categorical.from_codes(start_code, categories=list(SEGMENT_STARTS))
    for name, values in _kinematic_arrays(df, segment, MIN_TURN_LEG_M).items():
        df[name] = values
    return df
