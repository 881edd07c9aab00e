"""Detection: checks + forest -> per-report score -> spoofing events and jamming zones.

:func:`detect` takes the tracks table (:func:`gnss_watch.tracks.build_tracks`)
and returns a :class:`Detection`:

* ``reports`` -- the tracks table plus every check's ``NAME`` / ``NAME_mag``
  columns (:mod:`gnss_watch.checks`), ``rule_score``, ``forest_score``,
  ``score`` (0..1), ``kind`` ('spoofing', 'jamming', 'other', or '' below the
  alert threshold), ``reasons``, ``drivers`` (the forest features behind a
  flagged report's score), ``event_id`` and ``zone_id``;
* ``events`` -- spoofing and jamming events (the events.csv contract);
* ``zones`` -- jamming zones with shapely polygons;
* ``grid`` -- the hourly share of affected vessels per cell;
* ``base_stations`` -- type 4 reports with their time/position checks.

The per-report score (documented rule):

1. every fired check contributes its *strength* (``DetectConfig``), and the
   rule score is ``1 - prod(1 - strength)`` over the fired checks: one
   conclusive check (strength >= 0.5, e.g. an impossible jump) makes an alert
   by itself, weak ones (a speed or course mismatch) need company;
2. the forest score is calibrated on the reports no rule flagged (the data's
   own clean part), so on clean traffic it cannot create alerts;
3. :func:`gnss_watch.model.combine` merges the two: the forest ranks flagged
   reports and can lift two weak rule hits over the threshold, never a report
   with no rule hit.

``kind`` is the family (:data:`gnss_watch.checks.CHECK_FAMILY`) with the
larger summed strength among a flagged report's fired checks, except that a
position that is no live fix (:data:`gnss_watch.events.UNRELIABLE_FIX_CHECKS`:
frozen, dead-reckoned or erratic) is 'jamming' whatever else fired: spoofing
checks judging it are its artefacts (the event builder ignores them too).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .checks import CHECK_FAMILY, check_base_stations, run_checks
from .config import Config
from .events import EVENT_DTYPES, UNRELIABLE_FIX_CHECKS, build_spoofing_events
from .model import ALERT_THRESHOLD, InterferenceForest, combine, features
from .schema import conform
from .zones import build_jamming, grid


@dataclass
class Detection:
    """What :func:`detect` found; tables documented in the module docstring."""

    reports: pd.DataFrame
    events: pd.DataFrame
    zones: pd.DataFrame
    grid: pd.DataFrame
    base_stations: pd.DataFrame
    forest: InterferenceForest | None = None
    timings: dict[str, float] = field(default_factory=dict)


def rule_scores(checks: pd.DataFrame, strengths: dict[str, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rule score, number of fired checks, kind) per report from the checks table."""
    n = len(checks)
    keep = np.ones(n)
    fired_n = np.zeros(n, dtype=np.int64)
    family = {"spoofing": np.zeros(n), "jamming": np.zeros(n)}
    for name, w in strengths.items():
        fired = checks[name].to_numpy(dtype=bool)
        keep *= np.where(fired, 1.0 - w, 1.0)
        fired_n += fired
        family[CHECK_FAMILY[name]] += np.where(fired, w, 0.0)
    stale = checks[list(UNRELIABLE_FIX_CHECKS)].to_numpy(dtype=bool).any(axis=1)
    kind = np.where((family["spoofing"] >= family["jamming"]) & ~stale, "spoofing", "jamming")
    kind = np.where(fired_n == 0, "other", kind)
    return 1.0 - keep, fired_n, kind


def detect(
    tracks: pd.DataFrame,
    vessels: pd.DataFrame | None = None,
    base_stations: pd.DataFrame | None = None,
    config: Config | None = None,
) -> Detection:
    """Run checks, forest, events and zones over a tracks table."""
    cfg = config or Config()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    checks = run_checks(tracks, vessels, base_stations, cfg.checks)
    timings["checks"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    rule, n_fired, kind = rule_scores(checks, cfg.detect.strengths())
    forest, forest_score, score, drivers = _forest_scores(tracks, vessels, rule, n_fired, cfg)
    flagged = score >= ALERT_THRESHOLD
    timings["forest"] = time.perf_counter() - t0

    reports = pd.concat([tracks, checks], axis=1)
    reports["rule_score"] = rule
    reports["forest_score"] = forest_score
    reports["score"] = score
    reports["kind"] = np.where(flagged, kind, "")
    reports["drivers"] = drivers

    t0 = time.perf_counter()
    spoof_events, event_ids = build_spoofing_events(reports, cfg.events)
    bs = base_stations if base_stations is not None else pd.DataFrame()
    bs_checked = pd.concat([bs, check_base_stations(bs, cfg.checks)], axis=1) if len(bs) else bs
    jam_events, zones, zone_ids = build_jamming(reports, cfg.zones, bs_flags=bs_checked if len(bs) else None)
    reports["event_id"] = event_ids.to_numpy()
    reports["zone_id"] = zone_ids.to_numpy()
    events = _all_events(spoof_events, jam_events)
    cells = grid(reports, cfg.zones)
    timings["events_zones"] = time.perf_counter() - t0
    return Detection(reports, events, zones, cells, bs_checked, forest, timings)


def _forest_scores(
    tracks: pd.DataFrame, vessels: pd.DataFrame | None, rule: np.ndarray, n_fired: np.ndarray, cfg: Config
) -> tuple[InterferenceForest | None, np.ndarray, np.ndarray, pd.Series]:
    """The forest (fitted on the reports no rule flagged, or loaded), its score per report, the
    combined score, and the features behind each alert's ('' elsewhere). The feature matrix
    (a float per feature and report) lives only here."""
    forest = None
    forest_score = np.zeros(len(tracks))
    drivers = pd.Series("", index=tracks.index, dtype="str")
    if cfg.detect.use_forest and len(tracks) >= cfg.forest.min_reports:
        X = features(tracks, vessels)
        if cfg.detect.forest_model:
            forest = InterferenceForest.load(cfg.detect.forest_model)
            forest_score = forest.score_samples(X)
        else:
            f = cfg.forest
            forest = InterferenceForest(n_estimators=f.n_estimators, max_samples=f.max_samples,
                                        calibration_quantile=f.calibration_quantile, random_state=f.random_state)
            forest_score = forest.fit_score_samples(X, clean=n_fired == 0)
    score = combine(rule, forest_score, n_fired)
    flagged = score >= ALERT_THRESHOLD
    if forest is not None and flagged.any():
        contrib = forest.feature_contributions(X[flagged], top=3)
        names = contrib[[c for c in contrib.columns if c.startswith("feature_")]].fillna("").astype(str)
        joined = names.iloc[:, 0].str.cat([names[c] for c in names.columns[1:]], sep=";")
        drivers[flagged] = joined.str.strip(";").to_numpy()
    return forest, forest_score, score, drivers


def _all_events(spoof: pd.DataFrame, jam: pd.DataFrame) -> pd.DataFrame:
    """Spoofing then jamming events, typed as :data:`~gnss_watch.events.EVENT_DTYPES` (none found: empty,
    still typed, so times keep their datetime dtype)."""
    frames = [f for f in (spoof, jam) if len(f)]
    return conform(pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(), EVENT_DTYPES)


def anomalies(reports: pd.DataFrame) -> pd.DataFrame:
    """One row per flagged report: the anomalies.csv contract plus the forest's drivers."""
    a = reports.loc[reports["kind"] != "", ["time", "mmsi", "lat", "lon", "kind", "score", "reasons", "drivers",
                                            "event_id", "zone_id"]]
    return a.sort_values(["time", "mmsi"], kind="stable", ignore_index=True)
