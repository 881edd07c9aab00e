"""Isolation-forest scorer: per-report kinematic features, a calibrated forest, and the combined score.

Three pieces (see :mod:`gnss_watch.detect` for where they sit in the pipeline):

* :func:`features` turns the tracks table into one row of numeric features per
  report (:data:`FEATURES`, units below), vectorised, finite everywhere.
* :class:`InterferenceForest` is a scikit-learn estimator around
  :class:`sklearn.ensemble.IsolationForest` (plus a robust per-feature z-score,
  for values beyond anything the trees saw) whose output is *calibrated* on the
  data it was fitted on: a score of :data:`FOREST_THRESHOLD` is the
  ``calibration_quantile`` of that data, so "anomalous" means "rarer than the
  fitting data's own tail", not "in the top ``contamination`` share of whatever
  is scored" (a forest with a fixed contamination flags that share of any data
  set, clean or not). Fit it on clean traffic, or on the analysed traffic with
  ``clean=`` the reports no rule flagged.
* :func:`combine` merges the rule evidence (checks) and the forest score into the
  per-report ``score`` in 0..1; by construction the forest alone never reaches
  :data:`ALERT_THRESHOLD`.

Features (each NaN -- not applicable or not computable -- is replaced by the
stated neutral value, so every value is finite):

=====================  ===========  ==============================================================  =======
feature                unit         meaning                                                         neutral
=====================  ===========  ==============================================================  =======
speed_log_ratio        ln ratio     ln((implied + 1) / (reported + 1)), speeds in knots over a      0
                                    baseline of >= BASELINE_S within the segment (from the latest
                                    fix at least that long before): implied = fix displacement /
                                    time, reported = time-mean of SOG; neutral in a segment's
                                    first BASELINE_S
speed_diff_kn          knots        |implied - reported| over the same baseline                      0
course_err_deg         degrees      |baseline chord bearing - mean COG at its ends| (the chord of a  0
                                    constant-rate turn points along the mean of the end courses);
                                    only when reported speed >= MOVING_KN and chord >= 100 m
turn_rate_deg_s        deg/s        |turn_deg_s| of the tracks table                                 0
accel_kn_s             knots/s      |change of reported SOG| / max(time, MIN_STEP_S) between          0
                                    consecutive fixes of a segment, where both report SOG (an
                                    implied speed over a short step is GNSS noise)
jump_excess_m          metres       step distance beyond what the faster reported SOG of its two     0
                                    ends covers in the step's time: from the previous fix of the
                                    segment, or -- on a segment's first fix, where the segmenter
                                    saw a jump or a gap -- from the MMSI's previous fix in raw time
                                    order (:func:`gnss_watch.tracks.kinematics` by MMSI); a
                                    teleport shows here, a ship sharing the MMSI does not
log_gap_s              ln(1 + s)    time since the MMSI's previous report of any kind                ln(11)
inland_m               metres       :func:`gnss_watch.land.distance_inland_m` (0 at sea)              0
log_nearest_other_m    ln(1 + m)    distance to the nearest other MMSI's last fix in the same UTC    ln(1 +
                                    minute, capped at NEAREST_CAP_M                                  cap)
cell_degraded_share    fraction     share of the *other* MMSIs in the same CELL_M square (Lambert    0
                                    grid of gnss_watch.land) and UTC-aligned CELL_S window with a
                                    degraded report (no position, or UTC second 60..63); a report
                                    without a position is placed at its MMSI's last valid fix
pos_unavailable        0/1          lat/lon 'not available'                                          --
second_class           0..4         UTC second field: 0 = 0..59 or unknown, 1 = 60 not available,   --
                                    2 = 61 manual, 3 = 62 dead reckoning, 4 = 63 inoperative
low_accuracy           0/1          position accuracy flag 0 (> 10 m); unknown counts as 0           --
raim_in_use            0/1          RAIM flag 1; unknown counts as 0                                 --
sog_kn                 knots        reported SOG (context: noise differs at rest and under way)      0
fast_craft             0/1          WIG (ship type 20-29), high-speed craft (40-49) or SAR aircraft  0
                                    (context: their speeds and turns are legitimately extreme)
=====================  ===========  ==============================================================  =======

Neutral values are the "nothing to see" reading (agreement, no jump, at sea, a
nominal 10 s Class A interval, nobody close): a report lacking a kinematic
context must not look anomalous for that reason alone.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
from scipy.spatial import cKDTree
from sklearn.base import BaseEstimator
from sklearn.ensemble import IsolationForest
from sklearn.utils.validation import check_is_fitted

from .geo import KNOT_MS, angle_diff_deg, bearing_deg, haversine_m
from .land import distance_inland_m, project
from .tracks import MIN_TURN_LEG_M, TRACK_COLUMNS, kinematics

FEATURES: list[str] = [
    "speed_log_ratio",
    "speed_diff_kn",
    "course_err_deg",
    "turn_rate_deg_s",
    "accel_kn_s",
    "jump_excess_m",
    "log_gap_s",
    "inland_m",
    "log_nearest_other_m",
    "cell_degraded_share",
    "pos_unavailable",
    "second_class",
    "low_accuracy",
    "raim_in_use",
    "sog_kn",
    "fast_craft",
]

#: Context features: they let the forest condition on the kind of report (at
#: rest or under way, fast craft, fix type) but are not evidence by themselves.
CONTEXT: tuple[str, ...] = ("low_accuracy", "raim_in_use", "sog_kn", "fast_craft")
_EVIDENCE_IDX = np.array([i for i, f in enumerate(FEATURES) if f not in CONTEXT])

#: Shortest time baseline, seconds, for comparing implied with reported speed.
#: Two fixes each off by sigma metres give an implied-speed error of about
#: sqrt(2) * sigma / dt: at a 2 s Class A interval and sigma = 10 m that is
#: 14 kn, over 60 s under 0.5 kn. 60 s spans 6-30 Class A reports under way
#: (ITU-R M.1371 Table 1) and two Class B reports.
BASELINE_S = 60.0
#: Below this reported speed, knots, COG is not meaningful (receivers report
#: noise at rest; ITU-R M.1371 leaves COG undefined when stationary).
MOVING_KN = 2.0
#: Shortest Class A reporting interval, seconds (ITU-R M.1371 Table 1). Fixes
#: closer together are repeats or receptions bunched by the network: a 0.1 kn
#: SOG rounding step across 0.2 s would read as 0.5 kn/s.
MIN_STEP_S = 2.0
#: Nominal Class A reporting interval under way, seconds: the neutral time gap.
NOMINAL_GAP_S = 10.0
#: Beyond this, metres, another vessel is "not close" (the neutral value).
NEAREST_CAP_M = 10_000.0
#: Neighbourhood for ``cell_degraded_share``: a GNSS jammer's footprint at sea
#: level is tens of km, so a 10 km square over 10 min holds the ships that share it.
CELL_M = 10_000.0
CELL_S = 600.0

#: Calibrated forest score of the ``calibration_quantile`` of the fitting data.
FOREST_THRESHOLD = 0.5
#: Per-report combined score at or above which a report is an alert.
ALERT_THRESHOLD = 0.5
#: Ceiling of the combined score when the rules alone do not make an alert
#: (no rule, or one rule below the alert threshold): the forest can rank such
#: reports but not turn them into alerts.
SUB_ALERT_CAP = 0.45
#: Weight of forest evidence beyond its clean-data threshold in :func:`combine`.
FOREST_LIFT = 0.5
#: Weight of the forest score in ordering reports that rules flagged.
FOREST_RANK = 0.1

_SAVE_FORMAT = "gnss-watch-forest"
_SAVE_VERSION = 1
_NS = 1_000_000_000


# --- features --------------------------------------------------------------------------------------


def features(tracks: pd.DataFrame, vessels: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per-report features (:data:`FEATURES`, units in the module docstring), finite, on ``tracks.index``.

    ``tracks`` is the output of :func:`gnss_watch.tracks.build_tracks` (sorted
    by MMSI and time). ``vessels`` (static data) supplies ship types for
    ``fast_craft``; without it only SAR aircraft count as fast.
    """
    missing = [c for c in ("time", "mmsi", "lat", "lon", "sog", "cog", *TRACK_COLUMNS) if c not in tracks.columns]
    if missing:
        raise ValueError(f"features() needs the tracks table (gnss_watch.tracks.build_tracks); missing {missing}")
    n = len(tracks)
    t_ns = pd.DatetimeIndex(tracks["time"]).as_unit("ns")
    has_time = ~t_ns.isna()
    t_s = np.where(has_time, t_ns.asi8 / _NS, np.nan)  # Unix seconds: minute and cell bins are UTC-aligned
    valid = tracks["pos_valid"].to_numpy(dtype=bool) & has_time
    lat = tracks["lat"].to_numpy(dtype=float)
    lon = tracks["lon"].to_numpy(dtype=float)
    sog = tracks["sog"].to_numpy(dtype=float)
    mmsi = tracks["mmsi"].to_numpy()
    second = tracks["second"].to_numpy(dtype=int) if "second" in tracks.columns else np.full(n, -1)

    # Filled a column at a time into the one block the frame wraps: no copies of the whole set.
    block = np.empty((len(FEATURES), n))

    def put(name: str, values: np.ndarray) -> None:
        block[FEATURES.index(name)] = values

    for name, values in _baseline_features(tracks, t_s, valid).items():
        put(name, values)
    put("turn_rate_deg_s", np.abs(tracks["turn_deg_s"].to_numpy(dtype=float)))
    # SOG of each fix's predecessor in its segment (valid fixes only).
    fixes = pd.DataFrame({"sog": tracks["sog"], "segment": tracks["segment"], "mmsi": tracks["mmsi"]})[valid]
    prev_sog = fixes.groupby("segment")["sog"].shift().reindex(tracks.index).to_numpy(dtype=float)
    dt = tracks["dt_s"].to_numpy(dtype=float)
    put("accel_kn_s", np.abs(sog - prev_sog) / np.maximum(dt, MIN_STEP_S))
    put("jump_excess_m", _jump_excess_m(tracks, valid, fixes, prev_sog))
    del fixes, prev_sog, dt  # intermediates go once used: each is a float per report
    gap = np.full(n, np.nan)
    same_mmsi = np.zeros(n, dtype=bool)
    same_mmsi[1:] = mmsi[1:] == mmsi[:-1]
    gap[1:] = np.where(same_mmsi[1:], t_s[1:] - t_s[:-1], np.nan)
    put("log_gap_s", np.log1p(np.clip(gap, 0.0, None)))
    del gap, same_mmsi
    put("inland_m", np.where(valid, distance_inland_m(np.where(valid, lon, 0.0), np.where(valid, lat, 0.0)), 0.0))
    x, y = project(np.where(valid, lon, 20.0), np.where(valid, lat, 60.0))
    put("log_nearest_other_m", np.log1p(_nearest_other_m(x, y, t_s, mmsi, valid)))
    del x, y
    degraded = ~tracks["pos_valid"].to_numpy(dtype=bool) | (second >= 60)
    put("cell_degraded_share", _cell_degraded_share(tracks, t_s, degraded))
    put("pos_unavailable", ~tracks["pos_valid"].to_numpy(dtype=bool))
    put("second_class", np.where((second >= 60) & (second <= 63), second - 59, 0))
    acc = tracks["accuracy"].to_numpy(dtype=int) if "accuracy" in tracks.columns else np.full(n, -1)
    raim = tracks["raim"].to_numpy(dtype=int) if "raim" in tracks.columns else np.full(n, -1)
    put("low_accuracy", acc == 0)
    put("raim_in_use", raim == 1)
    put("sog_kn", sog)
    put("fast_craft", _fast_craft(tracks, vessels))

    neutral = {"log_gap_s": np.log1p(NOMINAL_GAP_S), "log_nearest_other_m": np.log1p(NEAREST_CAP_M)}
    for k, col in enumerate(FEATURES):
        v = block[k]
        v[~np.isfinite(v)] = neutral.get(col, 0.0)
    return pd.DataFrame(block.T, index=tracks.index, columns=FEATURES, copy=False)


def _baseline_features(tracks: pd.DataFrame, t_s: np.ndarray, valid: np.ndarray) -> dict[str, np.ndarray]:
    """Implied vs reported speed and course over a >= BASELINE_S window ending at each fix of a segment."""
    n = len(tracks)
    rows = np.flatnonzero(valid)
    seg = tracks["segment"].to_numpy()[rows]
    rows = rows[np.argsort(seg, kind="stable")]  # (segment, time) order; rows are time-sorted per MMSI
    seg = tracks["segment"].to_numpy()[rows]
    t = t_s[rows]
    lat = tracks["lat"].to_numpy(dtype=float)[rows]
    lon = tracks["lon"].to_numpy(dtype=float)[rows]
    sog = tracks["sog"].to_numpy(dtype=float)[rows]
    cog = tracks["cog"].to_numpy(dtype=float)[rows]
    m = len(rows)

    # Cumulative SOG-distance (trapezoid, metres) and the time it covers, zeroed across segment starts.
    first = np.ones(m, dtype=bool)
    first[1:] = seg[1:] != seg[:-1]
    dt = np.zeros(m)
    dt[1:] = t[1:] - t[:-1]
    dt[first] = 0.0
    step_sog = np.full(m, np.nan)
    a, b = sog[1:], sog[:-1]
    step_sog[1:] = np.where(np.isfinite(a) & np.isfinite(b), (a + b) / 2.0, np.where(np.isfinite(a), a, b))
    known = np.isfinite(step_sog) & (dt > 0)
    cum_d = np.cumsum(np.where(known, step_sog * KNOT_MS * dt, 0.0))
    cum_t = np.cumsum(np.where(known, dt, 0.0))

    # j: latest fix of the segment at least BASELINE_S before fix i, else the segment's first fix.
    t_ms = np.round((t - t.min()) * 1000).astype(np.int64) if m else np.zeros(0, np.int64)
    key = seg.astype(np.int64) * (1 << 40) + t_ms  # 2**40 ms is 35 years
    j = np.searchsorted(key, key - round(BASELINE_S * 1000), side="right") - 1
    seg_first = np.maximum.accumulate(np.where(first, np.arange(m), 0))
    j = np.maximum(j, seg_first)
    span = t - t[j]
    has = span >= BASELINE_S  # a shorter span (a segment's first minute) is too noisy: neutral
    with np.errstate(divide="ignore", invalid="ignore"):
        chord = haversine_m(lat[j], lon[j], lat, lon)
        implied = np.where(has, chord / span / KNOT_MS, np.nan)
        sog_t = cum_t - cum_t[j]
        reported = np.where(has & (sog_t > 0), (cum_d - cum_d[j]) / sog_t / KNOT_MS, np.nan)
        ratio = np.log((implied + 1.0) / (reported + 1.0))
        mean_cog = cog[j] + angle_diff_deg(cog, cog[j]) / 2.0
        moving = (reported >= MOVING_KN) & (chord >= MIN_TURN_LEG_M)
        course = np.where(moving, np.abs(angle_diff_deg(bearing_deg(lat[j], lon[j], lat, lon), mean_cog)), np.nan)

    res = {}
    for name, values in (("speed_log_ratio", ratio), ("speed_diff_kn", np.abs(implied - reported)),
                         ("course_err_deg", course)):
        col = np.full(n, np.nan)
        col[rows] = values
        res[name] = col
    return res


def _jump_excess_m(tracks: pd.DataFrame, valid: np.ndarray, fixes: pd.DataFrame, prev_sog: np.ndarray) -> np.ndarray:
    """Metres a step exceeds the faster reported SOG of its two ends (see the module table).

    ``fixes`` holds the valid rows' ``sog, segment, mmsi``; ``prev_sog`` is each
    fix's predecessor's SOG in its segment.
    """
    dist = tracks["dist_m"].to_numpy(dtype=float)
    dt = tracks["dt_s"].to_numpy(dtype=float)
    # dt_s is NaN on a segment's first fix: the segmenter opened it (jump or gap), so
    # measure that fix from the MMSI's previous one in raw time order.
    opens = valid & ~np.isfinite(dt)
    if opens.any():
        raw = kinematics(tracks, by="mmsi")
        dist = np.where(opens, raw["dist_m"].to_numpy(), dist)
        dt = np.where(opens, raw["dt_s"].to_numpy(), dt)
        prev_mmsi = fixes.groupby("mmsi")["sog"].shift().reindex(tracks.index).to_numpy(dtype=float)
        prev_sog = np.where(opens, prev_mmsi, prev_sog)
    sog = tracks["sog"].to_numpy(dtype=float)
    speed_ms = np.fmax(np.nan_to_num(sog, nan=0.0), np.nan_to_num(prev_sog, nan=0.0)) * KNOT_MS
    return np.clip(dist - speed_ms * dt, 0.0, None)


def _nearest_other_m(x: np.ndarray, y: np.ndarray, t_s: np.ndarray, mmsi: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Metres to the last fix of the nearest other MMSI in the same UTC minute (NaN if none within NEAREST_CAP_M)."""
    out = np.full(len(x), np.nan)
    rows = np.flatnonzero(valid)
    if not len(rows):
        return out
    minute = np.floor(t_s[rows] / 60.0)
    # One fix per (MMSI, minute), so of a fix's two nearest points at most one is its own MMSI.
    rep = rows[~pd.DataFrame({"m": mmsi[rows], "t": minute}).duplicated(keep="last").to_numpy()]
    # Minutes sit 1e7 m apart on a third axis: never within the search bound of each other.
    rep_minute = np.floor(t_s[rep] / 60.0)
    tree = cKDTree(np.column_stack([x[rep], y[rep], rep_minute * 1e7]))
    d, k = tree.query(np.column_stack([x[rows], y[rows], minute * 1e7]), k=2, distance_upper_bound=NEAREST_CAP_M)
    rep_mmsi = np.append(mmsi[rep], mmsi[rows].max() + 1)  # k == len(rep) marks "no neighbour"
    own = mmsi[rows]
    first_other = np.isfinite(d[:, 0]) & (rep_mmsi[k[:, 0]] != own)
    second_other = np.isfinite(d[:, 1]) & (rep_mmsi[k[:, 1]] != own)
    out[rows] = np.where(first_other, d[:, 0], np.where(second_other, d[:, 1], np.nan))
    return out


def _cell_degraded_share(tracks: pd.DataFrame, t_s: np.ndarray, degraded: np.ndarray) -> np.ndarray:
    """Share of the other MMSIs in the report's CELL_M x CELL_S cell that had a degraded report."""
    valid = tracks["pos_valid"].to_numpy(dtype=bool)
    pos = tracks[["lat", "lon"]].where(pd.Series(valid, index=tracks.index), axis=0)
    # A report without a position is placed at its MMSI's last fix (else its next one).
    by = tracks["mmsi"]
    pos = pos.groupby(by).ffill().groupby(by).bfill()
    x, y = project(pos["lon"].to_numpy(dtype=float), pos["lat"].to_numpy(dtype=float))
    have = np.isfinite(x) & np.isfinite(t_s)
    cells = pd.DataFrame({
        "cx": np.floor(x[have] / CELL_M).astype(np.int64),
        "cy": np.floor(y[have] / CELL_M).astype(np.int64),
        "ct": np.floor(t_s[have] / CELL_S).astype(np.int64),
        "mmsi": tracks["mmsi"].to_numpy()[have],
        "deg": degraded[have],
    })
    cell, vessel = ["cx", "cy", "ct"], ["cx", "cy", "ct", "mmsi"]
    self_deg = cells.groupby(vessel, sort=False)["deg"].transform("max").to_numpy(dtype=bool)
    first = ~cells.duplicated(vessel).to_numpy()
    cells["v"], cells["vd"] = first, first & self_deg
    grouped = cells.groupby(cell, sort=False)
    n_vessels = grouped["v"].transform("sum").to_numpy(dtype=float)
    n_degraded = grouped["vd"].transform("sum").to_numpy(dtype=float)
    out = np.full(len(tracks), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[have] = np.where(n_vessels > 1, (n_degraded - self_deg) / (n_vessels - 1), np.nan)
    return out


def _fast_craft(tracks: pd.DataFrame, vessels: pd.DataFrame | None) -> np.ndarray:
    """1.0 for WIG craft and high-speed craft (ship types 20-29, 40-49) and SAR aircraft, else 0.0."""
    if "device" in tracks.columns:
        fast = (tracks["device"] == "SAR").to_numpy(dtype=bool)
    else:
        fast = np.zeros(len(tracks), dtype=bool)
    if vessels is not None and len(vessels) and "ship_type" in vessels.columns:
        types = vessels.drop_duplicates("mmsi", keep="last").set_index("mmsi")["ship_type"]
        st = tracks["mmsi"].map(types).astype("Float64").fillna(0).to_numpy(dtype=float)
        fast = fast | ((st >= 20) & (st < 30)) | ((st >= 40) & (st < 50))
    return fast.astype(float)


# --- the estimator ---------------------------------------------------------------------------------


class InterferenceForest(BaseEstimator):
    """IsolationForest on :func:`features`, calibrated on the data it is fitted on.

    ``X`` everywhere is either the :func:`features` frame or the tracks table
    itself (then :func:`features` is computed without vessel data, so only SAR
    aircraft count as ``fast_craft``; pass ``features(tracks, vessels)`` to use
    ship types). Fit it on a baseline of clean traffic and :meth:`save` it for
    later runs, or on the traffic being analysed with ``clean=`` the reports no
    rule flagged (see :meth:`fit`).

    The score has two parts, each calibrated on the fitting reports, and is
    their maximum:

    * isolation: ``raw = -IsolationForest.score_samples`` (in (0, 1), higher =
      isolated sooner). It sees combinations of features, but a value beyond
      the range of a tree's 256-report subsample follows the same path as the
      subsample's extreme: a 30 km teleport isolates no sooner than a 40 m GPS
      glitch. Hence the second part:
    * marginal: ``m`` = the largest robust z-score (:meth:`feature_contributions`)
      over the evidence features (all but :data:`CONTEXT`), which keeps growing
      with distance.

    Calibration (:meth:`fit`), the same for both parts with ``v`` = raw or m:
    ``q = 1 - (1 - calibration_quantile) / 2`` and the threshold ``v_q`` is the
    fitting data's ``q`` quantile of ``v``, moved up past any tie so that at
    most ``(1 - q) * n`` reports reach it; by the union bound at most
    ``1 - calibration_quantile`` of the fitting reports reach
    ``threshold_ = FOREST_THRESHOLD`` in either part. With ``D = -log10(1 - q)``
    (3.3 for 0.999), knots are the fitting quantiles of ``v`` at levels
    ``1 - 10**-x`` for ``x = 0, 0.1, ..., D`` ("x decades into the tail"), and::

        part = FOREST_THRESHOLD * x(v) / D                                  v < v_q
        part = FOREST_THRESHOLD + (1 - FOREST_THRESHOLD) * g                v >= v_q
        g = (raw - raw_q) / (1 - raw_q)         isolation (raw = 1: isolated at the root)
        g = L / (1 + L),  L = log10(m / m_q)    marginal (10 x the threshold gives 0.75)

    ``x(v)`` interpolates linearly between knots (a value tied over several
    knots takes the lowest; 0 below the fitting minimum). So a fitting report
    at the median scores ~0.05, at the 99th percentile 0.3, at ``q`` exactly
    ``threshold_``, and beyond it the score keeps rising instead of saturating,
    so the forest ranks what it flags.

    Fitted attributes: ``forest_``, ``feature_names_in_``, ``n_features_in_``,
    ``n_fit_``, ``center_`` / ``scale_`` (per-feature median and half 1-99 %
    range), ``raw_knots_`` / ``raw_decades_`` / ``raw_threshold_`` and
    ``marginal_knots_`` / ``marginal_decades_`` / ``marginal_threshold_`` (the
    calibration), ``threshold_``.
    """

    def __init__(
        self,
        n_estimators: int = 100,
        max_samples: int = 256,
        calibration_quantile: float = 0.999,
        random_state: int | None = 0,
        n_jobs: int | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.calibration_quantile = calibration_quantile
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, X: pd.DataFrame, y: Any = None, clean: np.ndarray | None = None) -> "InterferenceForest":
        """Fit the forest on ``X`` (features or tracks) and calibrate it on the same reports. Returns self.

        ``clean`` (bool per row, optional) keeps only those rows for fitting and
        calibration. The calibration assumes at most ``1 - calibration_quantile``
        of the fitting reports are anomalous; when fitting on the data being
        analysed, pass ``clean=~flagged`` (no rule fired) so that the anomalies
        the rules already see do not set the threshold. ``y`` is ignored.
        """
        A = _matrix(X)
        self._fit(A[_clean_mask(clean, len(A))])
        return self

    def fit_score_samples(self, X: pd.DataFrame, clean: np.ndarray | None = None) -> np.ndarray:
        """``fit(X, clean=clean).score_samples(X)``, running the trees over ``X`` once instead of twice."""
        A = _matrix(X)
        return self._score(*self._fit(A, _clean_mask(clean, len(A))))

    def _fit(self, A: np.ndarray, fit_rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Fit and calibrate on ``A[fit_rows]`` (all rows by default); return raw and marginal scores of all ``A``."""
        cq = float(self.calibration_quantile)
        if not 0.5 < cq < 1.0:
            raise ValueError(f"calibration_quantile must be in (0.5, 1), got {cq}")
        F = A if fit_rows is None else A[fit_rows]
        n = len(F)
        if n < 2:
            raise ValueError(f"need at least 2 reports to fit, got {n}")
        self.forest_ = IsolationForest(
            n_estimators=self.n_estimators, max_samples=min(self.max_samples, n), contamination="auto",
            random_state=self.random_state, n_jobs=self.n_jobs,
        ).fit(F)
        self.feature_names_in_ = np.array(FEATURES, dtype=object)
        self.n_features_in_ = len(FEATURES)
        self.n_fit_ = n
        # per column: np.quantile over axis 0 would sort a copy of the whole matrix at once
        lo, mid, hi = np.array([np.quantile(F[:, j], [0.01, 0.5, 0.99]) for j in range(F.shape[1])]).T
        full = F.max(axis=0) - F.min(axis=0)
        self.center_ = mid
        self.scale_ = np.where(hi > lo, hi - lo, np.where(full > 0, full, 1.0)) / 2.0
        raw = _isolation(self.forest_, A)
        marginal = self._marginal(A)
        fit_raw, fit_marginal = (raw, marginal) if fit_rows is None else (raw[fit_rows], marginal[fit_rows])
        q = 1.0 - (1.0 - cq) / 2.0
        self.raw_knots_, self.raw_decades_, self.raw_threshold_ = _calibrate(fit_raw, q)
        self.marginal_knots_, self.marginal_decades_, self.marginal_threshold_ = _calibrate(fit_marginal, q)
        self.threshold_ = FOREST_THRESHOLD
        return raw, marginal

    def _robust_z(self, A: np.ndarray) -> np.ndarray:
        return np.abs(A - self.center_) / self.scale_

    def _marginal(self, A: np.ndarray) -> np.ndarray:
        """The largest robust z-score over the evidence features, per report."""
        out = np.zeros(len(A))
        for j in _EVIDENCE_IDX:  # a column at a time: no temporaries the size of A
            np.maximum(out, np.abs(A[:, j] - self.center_[j]) / self.scale_[j], out=out)
        return out

    def _score(self, raw: np.ndarray, marginal: np.ndarray) -> np.ndarray:
        t = FOREST_THRESHOLD
        iso_tail = (raw - self.raw_threshold_) / max(1.0 - self.raw_threshold_, 1e-12)
        with np.errstate(divide="ignore"):
            lm = np.log10(np.maximum(marginal, self.marginal_threshold_) / self.marginal_threshold_)
        iso = np.where(raw >= self.raw_threshold_, t + (1.0 - t) * iso_tail,
                       _body(raw, self.raw_knots_, self.raw_decades_))
        mar = np.where(marginal >= self.marginal_threshold_, t + (1.0 - t) * lm / (1.0 + lm),
                       _body(marginal, self.marginal_knots_, self.marginal_decades_))
        return np.clip(np.maximum(iso, mar), 0.0, 1.0)

    def score_samples(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated anomaly score per report in 0..1, higher = more anomalous (mapping in the class doc)."""
        check_is_fitted(self, "forest_")
        A = _matrix(X)
        return self._score(_isolation(self.forest_, A), self._marginal(A))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """True where the score reaches ``threshold_``: beyond the fitting data's calibration quantile."""
        return self.score_samples(X) >= self.threshold_

    def feature_contributions(self, X: pd.DataFrame, top: int | None = 3) -> pd.DataFrame:
        """Which features make each report unusual: robust z-scores against the fitting data.

        ``z = |x - median| / scale`` with ``scale`` half the feature's 1-99 %
        range on the fitting reports (else half its full range, else 1), so the
        edge of the central 98 % sits near z = 1 whatever the unit, a set flag
        that < 1 % of fitting reports carry scores 2, and a gross error keeps
        growing (a 30 km teleport against metre-scale GPS noise: thousands).
        Median and 1-99 % range stay put if up to 1 % of the fitting reports are
        anomalous, so fitting on the data being analysed is fine.

        Why not path-length attribution (which features split a report off in
        the trees)? For one report it is noisy -- split features are drawn at
        random and a normal value still lies on the path -- it needs a walk of
        every tree, and it inherits the forest's blindness beyond the
        subsample's range. The z-score is what an analyst checks first; the
        forest's own contribution, unusual *combinations*, shows as several
        moderately raised features.

        Returns, on ``X``'s index, ``feature_1..feature_top`` (names, highest z
        first, among the evidence features: :data:`CONTEXT` features condition
        the forest but are not evidence) and ``z_1..z_top``; with ``top=None``
        the z-scores of every feature, one column each.
        """
        check_is_fitted(self, "forest_")
        Z = self._robust_z(_matrix(X))
        if top is None:
            return pd.DataFrame(Z, columns=FEATURES, index=X.index)
        Z = Z[:, _EVIDENCE_IDX]
        top = min(int(top), len(_EVIDENCE_IDX))
        order = np.argsort(-Z, axis=1, kind="stable")[:, :top]
        names = np.asarray(FEATURES, dtype=object)[_EVIDENCE_IDX][order]
        values = np.take_along_axis(Z, order, axis=1)
        cols: dict[str, np.ndarray] = {}
        for i in range(top):
            cols[f"feature_{i + 1}"] = names[:, i]
            cols[f"z_{i + 1}"] = values[:, i]
        return pd.DataFrame(cols, index=X.index)

    def save(self, path: str | Path) -> None:
        """Write the fitted model with :func:`joblib.dump`.

        The file is a **pickle** (joblib format) of a dict holding the format
        name and version, the scikit-learn version, the feature list and this
        estimator. Loading a pickle runs code chosen by whoever wrote the file:
        only load files you (or someone you trust) made.
        """
        check_is_fitted(self, "forest_")
        joblib.dump({"format": _SAVE_FORMAT, "version": _SAVE_VERSION, "sklearn": sklearn.__version__,
                     "features": list(FEATURES), "model": self}, path)

    @classmethod
    def load(cls, path: str | Path) -> "InterferenceForest":
        """Read a model written by :meth:`save`.

        **Unpickling runs code**: only load your own files. Refuses (``ValueError``)
        a file that is not a gnss-watch forest, one written by another
        scikit-learn version (pickled trees are not portable across versions),
        and one fitted on another feature list than this version's :data:`FEATURES`.
        """
        obj = joblib.load(path)
        if not isinstance(obj, dict) or obj.get("format") != _SAVE_FORMAT or not isinstance(obj.get("model"), cls):
            raise ValueError(f"{path}: not a gnss-watch forest model file")
        if obj.get("version") != _SAVE_VERSION:
            raise ValueError(f"{path}: model file version {obj.get('version')}, this gnss-watch reads {_SAVE_VERSION}")
        if obj.get("sklearn") != sklearn.__version__:
            raise ValueError(f"{path}: saved with scikit-learn {obj.get('sklearn')}, running {sklearn.__version__}; "
                             "refit the model")
        if list(obj.get("features", [])) != FEATURES or list(obj["model"].feature_names_in_) != FEATURES:
            raise ValueError(f"{path}: fitted on features {list(obj.get('features', []))}, this version computes "
                             f"{FEATURES}; refit the model")
        return obj["model"]


def _clean_mask(clean: np.ndarray | None, n: int) -> np.ndarray:
    if clean is None:
        return np.ones(n, dtype=bool)
    mask = np.asarray(clean, dtype=bool)
    if mask.shape != (n,):
        raise ValueError(f"clean must be one bool per report ({n}), got shape {mask.shape}")
    return mask


def _calibrate(values: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Knots (values), their tail decades, and the tie-aware ``q`` threshold of ``values``."""
    s = np.sort(values)
    n = len(s)
    m = int(np.floor((1.0 - q) * n))
    j = int(np.searchsorted(s, s[n - m - 1], side="right"))
    threshold = float(s[j]) if j < n else float(np.nextafter(s[-1], np.inf))
    depth = -np.log10(1.0 - q)
    decades = np.append(np.arange(0.0, depth, 0.1), depth)
    knots = np.quantile(s, 1.0 - 10.0**-decades[:-1])
    keep = np.insert(knots[1:] > knots[:-1], 0, True) & (knots < threshold)  # a tied value takes its lowest level
    return np.append(knots[keep], threshold), np.append(decades[:-1][keep], depth), threshold


def _body(v: np.ndarray, knots: np.ndarray, decades: np.ndarray) -> np.ndarray:
    """Score below the threshold: FOREST_THRESHOLD * (tail decades) / D, kept strictly under it."""
    part = FOREST_THRESHOLD * np.interp(v, knots, decades) / decades[-1]
    return np.minimum(part, np.nextafter(FOREST_THRESHOLD, 0.0))


#: Rows per scoring thread below which a second thread costs more than it saves.
_ROWS_PER_THREAD = 20_000
#: Rows scored per call: sklearn walks every tree over the whole call at once (a float32
#: copy plus a sparse path matrix per tree, ~200 bytes a row), so large inputs go in blocks
#: to bound that memory.
_ROWS_PER_BLOCK = 50_000


def _isolation(forest: IsolationForest, A: np.ndarray) -> np.ndarray:
    """``-forest.score_samples(A)``, contiguous row blocks scored in threads on a multi-core machine.

    A row's score is its own sum over the trees in sklearn's order, so the
    blocks give the same numbers as one call; tree traversal releases the GIL.
    (joblib's threading backend would split the trees instead, and add their
    depths up in whatever order the threads finish.)
    """
    n = min(os.cpu_count() or 1, len(A) // _ROWS_PER_THREAD)
    blocks = np.array_split(A, max(n, -(-len(A) // _ROWS_PER_BLOCK), 1))
    if n < 2:
        return -np.concatenate([forest.score_samples(b) for b in blocks])
    with ThreadPoolExecutor(n) as pool:
        return -np.concatenate(list(pool.map(forest.score_samples, blocks)))


def _matrix(X: pd.DataFrame) -> np.ndarray:
    """The float feature matrix from a :func:`features` frame, or from a tracks table."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"expected a features or tracks DataFrame, got {type(X).__name__}")
    if all(c in X.columns for c in FEATURES):
        A = X[FEATURES].to_numpy(dtype=float)
    elif all(c in X.columns for c in TRACK_COLUMNS):
        A = features(X).to_numpy(dtype=float)
    else:
        raise ValueError(f"expected the features() frame ({FEATURES}) or the tracks table (with {list(TRACK_COLUMNS)})")
    if not np.isfinite(A).all():
        raise ValueError("features must be finite (features() fills NaN with neutral values)")
    return A


# --- combined score --------------------------------------------------------------------------------


def combine(rule_score: np.ndarray, forest_score: np.ndarray, n_rules_fired: np.ndarray) -> np.ndarray:
    """Per-report combined score in 0..1; a report is an alert at ``>= ALERT_THRESHOLD``.

    Inputs, per report: ``rule_score`` in 0..1 -- the rule evidence, where a
    check that is conclusive by itself scores ``>= ALERT_THRESHOLD`` (e.g. the
    strongest fired check's strength) and 0 where none fired; ``forest_score``
    from :meth:`InterferenceForest.score_samples`; ``n_rules_fired`` >= 0.

    The rule, with ``r`` the rule score, ``f`` the forest score, ``k`` the
    number of fired rules and ``e = clip((f - FOREST_THRESHOLD) / (1 - FOREST_THRESHOLD), 0, 1)``
    the forest's evidence beyond its calibrated clean-data threshold::

        s = 1 - (1 - r) * (1 - FOREST_LIFT * e) * (1 - FOREST_RANK * f * [k >= 1])
        s = min(s, max(r, SUB_ALERT_CAP))     if k == 1 and r < ALERT_THRESHOLD
        s = min(s, SUB_ALERT_CAP)             if k == 0 (whatever r says)

    So:

    * no rule fired: ``s = 0.5 * e``, capped at SUB_ALERT_CAP (0.45) -- the
      forest alone never makes an alert, whatever it was fitted on; reports it
      finds odd still rank above the rest for review;
    * one conclusive rule: ``s >= r``, and the forest orders such reports
      (``s`` rises with ``f``);
    * one weak rule: the forest lifts it, but not to an alert (the forest
      sees the same fix-quality and kinematic signals, so one weak hit plus
      the forest would count the same evidence twice);
    * two or more weak rules: a forest that finds the report beyond its
      clean-data tail can lift the combination over ALERT_THRESHOLD (e.g.
      ``r = 0.3``, ``k = 2``, ``e = 0.5`` gives 0.51), which neither weak hit
      reaches alone; without forest support they stay where the rules put them.
    """
    r = np.clip(np.asarray(rule_score, dtype=float), 0.0, 1.0)
    f = np.clip(np.asarray(forest_score, dtype=float), 0.0, 1.0)
    k = np.asarray(n_rules_fired)
    r, f = np.nan_to_num(r, nan=0.0), np.nan_to_num(f, nan=0.0)
    e = np.clip((f - FOREST_THRESHOLD) / (1.0 - FOREST_THRESHOLD), 0.0, 1.0)
    s = 1.0 - (1.0 - r) * (1.0 - FOREST_LIFT * e) * (1.0 - FOREST_RANK * f * (k >= 1))
    free = (k >= 2) | ((k >= 1) & (r >= ALERT_THRESHOLD))
    cap = np.where(k >= 1, np.maximum(r, SUB_ALERT_CAP), SUB_ALERT_CAP)
    return np.where(free, s, np.minimum(s, cap))
