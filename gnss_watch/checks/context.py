"""What every check reads: the tracks table as plain arrays, built once per run.

Checks are functions of a :class:`Context`. It holds the columns they share as
numpy arrays on the tracks' row order (sorted by MMSI then time), the per-row
speed limit and a cache where results one check needs from another (the jump
analysis, used by convergence) are kept.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..geo import KNOT_MS
from ..schema import LONG_RANGE_DEVICE
from ..tracks import position_valid
from ..config import ChecksConfig

_NS = 1_000_000_000
#: Ship type ranges (ITU-R M.1371 table 53): WIG 20-29 and high-speed craft 40-49.
_FAST_TYPES = ((20, 29), (40, 49))
#: Cargo 70-79 and tankers 80-89.
_CARGO_TYPES = ((70, 89),)
#: ``time_source`` values whose times are reconstructed, not received (see ``ingest.nmea``).
GUESSED_TIME_SOURCES = ("start", "basestation")
_REPEATED = np.array([int(str(d) * 9) for d in range(1, 10)] + [123456789, 987654321], dtype=np.int64)


def placeholder_mmsi(mmsi: np.ndarray) -> np.ndarray:
    """True for MMSIs that are defaults shared by many devices rather than one station.

    ITU-R M.585 ship MMSIs have nine digits; shorter numbers are coast stations
    (00MIDxxxx), groups or 0-padded installer defaults, and repeated or sequential
    digits (111111111, 123456789) are factory settings seen on many transponders.
    """
    mmsi = np.asarray(mmsi, dtype=np.int64)
    return (mmsi < 100_000_000) | (mmsi > 999_999_999) | np.isin(mmsi, _REPEATED)


def window_first(group: np.ndarray, t: np.ndarray, width: float, side: str = "left") -> np.ndarray:
    """For rows sorted by (group, t): index of the first row of the same group with
    ``t >= t_i - width`` (``side='left'``) or ``t > t_i - width`` (``side='right'``).

    ``t`` in seconds, finite. Groups are contiguous runs of equal ``group`` values.
    """
    if len(t) == 0:
        return np.zeros(0, dtype=np.intp)
    new = np.ones(len(group), dtype=bool)
    new[1:] = group[1:] != group[:-1]
    g = np.cumsum(new) - 1
    t0 = t.min()
    span = (t.max() - t0) + abs(width) + 1.0
    key = g * span + (t - t0)  # strictly ordered across groups
    return np.searchsorted(key, key - width, side=side)


def group_first_index(group: np.ndarray) -> np.ndarray:
    """For rows sorted by group: index of the first row of each row's group."""
    new = np.ones(len(group), dtype=bool)
    new[1:] = group[1:] != group[:-1]
    return np.maximum.accumulate(np.where(new, np.arange(len(group)), 0))



def _doubling(values: np.ndarray, span: int, op: np.ufunc) -> list[np.ndarray]:
    """Sparse table: level k holds ``op`` over ``values[p:p + 2**k]`` for every p, up to ``span``."""
    levels = [values]
    width = 1
    while 2 * width <= span:
        levels.append(op(levels[-1][:-width], levels[-1][width:]))
        width *= 2
    return levels

def range_min_max(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimum and maximum of ``values[lo[k]:hi[k] + 1]`` for each k (``lo <= hi``), vectorised
    with a sparse table (doubling ranges), so cost grows with the log of the widest range."""
    span = int((hi - lo).max()) + 1 if len(lo) else 1
    mins, maxs = _doubling(values, span, np.minimum), _doubling(values, span, np.maximum)
    level = np.floor(np.log2(hi - lo + 1)).astype(int) if len(lo) else np.zeros(0, dtype=int)
    out_min, out_max = np.empty(len(lo)), np.empty(len(lo))
    for k in np.unique(level):
        sel = level == k
        a, b = lo[sel], hi[sel] - (1 << k) + 1
        out_min[sel] = np.minimum(mins[k][a], mins[k][b])
        out_max[sel] = np.maximum(maxs[k][a], maxs[k][b])
    return out_min, out_max



def first_reaching(values: np.ndarray, target: np.ndarray) -> np.ndarray:
    """For each position j, the first index i > j with ``values[i] >= target[j]``
    (``len(values)`` where there is none). Binary lifting over a sparse table of
    maxima: whole blocks still below the target are skipped, largest first."""
    n = len(values)
    maxs = _doubling(values, n, np.maximum)
    pos = np.arange(1, n + 1)
    for k in range(len(maxs) - 1, -1, -1):
        step = 2 ** k
        fits = pos + step <= n
        below = fits & (maxs[k][np.minimum(pos, len(maxs[k]) - 1)] < target)
        pos = np.where(below, pos + step, pos)
    return pos

class Context:
    """Arrays of one tracks table (see :mod:`gnss_watch.tracks`) for the checks.

    ``t`` is seconds since the epoch (NaN without a time); ``usable`` marks rows
    with a valid position and a time, ``kinematic`` those the motion checks use.
    ``vessels`` supplies ``ship_type`` per MMSI.
    """

    def __init__(
        self,
        tracks: pd.DataFrame,
        vessels: pd.DataFrame | None,
        base_stations: pd.DataFrame | None,
        config: ChecksConfig,
    ) -> None:
        self.tracks = tracks
        self.vessels = vessels
        self.base_stations = base_stations
        self.cfg = config
        self.n = len(tracks)
        self.cache: dict[str, Any] = {}
        self.mmsi = tracks["mmsi"].to_numpy(dtype=np.int64)
        times = pd.DatetimeIndex(tracks["time"])
        has_time = ~times.isna()
        self.t = np.where(has_time, times.as_unit("ns").asi8 / _NS, np.nan)
        self.lat = tracks["lat"].to_numpy(dtype=float)
        self.lon = tracks["lon"].to_numpy(dtype=float)
        self.sog = tracks["sog"].to_numpy(dtype=float)
        self.cog = tracks["cog"].to_numpy(dtype=float)
        #: The raw UTC-second field (60-63 are the position-fix codes; -1 unknown).
        self.second = tracks["second"].to_numpy()
        self.pos_valid = position_valid(tracks)
        self.usable = self.pos_valid & has_time
        self.segment = tracks["segment"].to_numpy(dtype=np.int64)
        #: Metres from the previous usable report of the segment (0 at its first).
        self.step_m = np.nan_to_num(tracks["dist_m"].to_numpy(dtype=float))
        self.device = tracks["device"].astype(str).to_numpy()
        self.aton = self.device == "AtoN"
        self.sar = self.device == "SAR"
        self.coarse = self.device == LONG_RANGE_DEVICE  # type 27: positions in 1/10 minute
        self.placeholder = placeholder_mmsi(self.mmsi)
        # Files without receive times are dated from base-station UTC interpolated over
        # line numbers ('basestation') or from --start ('start'), refined by the UTC-second
        # field: the minute can be wrong, so no speed can be judged from those times.
        guessed = (tracks["time_source"].isin(GUESSED_TIME_SOURCES).to_numpy(dtype=bool)
                   if "time_source" in tracks else np.zeros(self.n, dtype=bool))
        #: Rows the motion checks use: a position and a real time, a vessel (not an aid to
        #: navigation), an MMSI that is not a shared placeholder.
        self.kinematic = self.usable & ~guessed & ~self.aton & ~self.placeholder

    @cached_property
    def ship_type(self) -> np.ndarray:
        """Ship type per row (ITU-R M.1371 table 53), NaN when unknown."""
        if self.vessels is None or len(self.vessels) == 0:
            return np.full(self.n, np.nan)
        st = self.vessels.drop_duplicates("mmsi", keep="last").set_index("mmsi")["ship_type"]
        return pd.Series(self.mmsi).map(st.astype("float64")).to_numpy(dtype=float)

    @cached_property
    def speed_limit_kn(self) -> np.ndarray:
        """Top plausible speed per row by device and ship type, knots (before the SOG hint)."""
        cfg = self.cfg
        st = self.ship_type
        lim = np.where(self.device == "B", cfg.max_speed_class_b_kn, cfg.max_speed_default_kn)
        with np.errstate(invalid="ignore"):
            for lo, hi in _CARGO_TYPES:
                lim = np.where((st >= lo) & (st <= hi), cfg.max_speed_cargo_kn, lim)
            for lo, hi in _FAST_TYPES:
                lim = np.where((st >= lo) & (st <= hi), cfg.max_speed_hsc_kn, lim)
        return np.where(self.sar, cfg.max_speed_sar_kn, lim)

    def step_limit_kn(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Plausible speed for a step between rows ``i`` and ``j``, knots.

        The larger limit of the two rows, raised by the reported SOG (a hint that a
        vessel is faster than its type suggests) up to the fastest surface vessel.
        """
        cfg = self.cfg
        base = np.maximum(self.speed_limit_kn[i], self.speed_limit_kn[j])
        hint = cfg.sog_hint_factor * np.fmax(self.sog[i], self.sog[j])
        hint = np.where(np.isfinite(hint), np.minimum(hint, cfg.max_speed_surface_kn), 0.0)
        return np.maximum(base, hint)

    def reachable_m(self, limit_kn: np.ndarray, dt_s: np.ndarray) -> np.ndarray:
        """Distance a vessel can cover at ``limit_kn`` in ``dt_s`` plus the GNSS slack, metres."""
        return limit_kn * KNOT_MS * np.abs(dt_s) + self.cfg.jump_distance_tolerance_m

    @cached_property
    def seg_rows(self) -> np.ndarray:
        """Usable rows in (segment, time) order: the per-segment view of the table."""
        rows = np.flatnonzero(self.usable)
        return rows[np.argsort(self.segment[rows], kind="stable")]
