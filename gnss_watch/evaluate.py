"""Score detection outputs against a simulator's ground truth.

Inputs are ``truth.json`` and ``labels.csv`` from :mod:`gnss_watch.simulate`
and the detector's ``events.csv``, ``zones.geojson`` and ``anomalies.csv`` (the
files ``gnss-watch replay --out DIR`` writes). A missing result file is scored
as an empty prediction and listed under ``missing_files``; a malformed one
raises :class:`ValueError` naming the file and the line (CSV, header = line 1)
or feature. All times are UTC; errors are in seconds, predicted minus truth.

Matching rules (tolerances from :class:`EvalConfig`):

Spoofing events
    Only predicted events with ``kind == 'spoofing'`` take part. A predicted
    and a truth event are candidates when the MMSI is the same and their
    intervals overlap once widened by ``event_time_tolerance_s``; their
    overlap (seconds, negative down to minus the tolerance) ranks them.
    Candidates are paired one-to-one, greedily, largest overlap first. Counts
    tp/fp/fn give precision, recall and F1 = 2tp / (2tp + fp + fn); recall is
    also given per truth kind. Vessel view: a vessel is flagged when it has any
    predicted spoofing event; false-alarm rates are the flagged share of the
    truth's ``clean_mmsi`` and of every truth vessel not in any spoofing event
    (jammed vessels included).

Jamming zones
    Polygon areas are computed in a Lambert azimuthal equal-area projection on
    the sphere centred on each truth zone's centroid, so areas are exact (to
    the spherical model) whatever the latitude. For each truth zone the
    candidates are the predicted zones whose time window overlaps it (no
    tolerance). ``best_iou`` is the largest single-candidate IoU;
    ``union_iou`` is the IoU of the union of all candidates that intersect it
    with positive area (a zone the detector split over several time windows or
    patches). Matching is one-to-one, as a detection benchmark's is: a
    predicted zone is one claim of a jammer and answers for one truth zone.
    Single predictions reaching ``zone_iou_threshold`` are assigned to truth
    zones (Hungarian) for the most zones found, then the most on time (start and
    end each within ``zone_time_tolerance_s``), then the largest IoU sum:
    of two jammers at one site, each prediction goes to the one whose window
    it gives, not to whichever its disc happens to overlap by a hundredth
    more. A truth zone left without one is matched by the union of its touching
    candidates no other truth zone took (a zone split over several
    predictions) when that union reaches the threshold. The zone is
    **found** when matched; start and end errors compare the earliest start
    and latest end of its matched predictions with the truth window. A
    prediction merging two truth zones finds one of them (until 2026-12-07 it
    was counted as finding both, each taking its best-IoU candidate).
    Recall = found / truth zones; precision = predicted zones matched /
    predicted zones (several may match one truth zone, so there is no F1). Each truth zone
    also says what company it kept in the truth, to read its misses by:
    ``company`` is 'same_site' when its intersection with another truth zone
    active at the same time holds at least ``same_site_share`` of the smaller
    of the two, 'overlapping' when it merely has one, else 'alone';
    ``company_zone_ids`` names those zones. ``n_witnesses`` counts its
    ``affected_mmsi`` and ``base_stations`` (0: nothing heard was inside while
    it was on, so the data hold no trace of it; None: the truth does not say).

Jammed vessels
    Predicted set: MMSIs of events with ``kind == 'jamming'`` (plus anomalies
    of kind 'jamming' when ``jammed_from_anomalies``). Truth set: the union of
    the zones' ``affected_mmsi``. Base stations a zone lists in
    ``base_stations`` (and not in ``affected_mmsi``) count neither way; how
    many were flagged is reported.

Reports
    Each anomalies.csv row of kind 'spoofing' or 'jamming' is matched to the
    label of the same MMSI nearest in time within ``report_time_tolerance_s``
    ('other' rows are the detector saying "not GNSS interference" and are only
    counted). Positives are labels 'spoofed' or 'jammed'. Precision is the
    share of anomaly rows matched to a positive label; recall the share of
    positive labels matched by at least one row. 'any' ignores the kind (a
    spoofed report flagged as jamming counts); the per-class figures need the
    matching kind ('spoofing' for spoofed, 'jamming' for jammed).

A ratio with a zero denominator is ``None`` (JSON null, "n/a" in the table):
e.g. precision with no predictions. The result dict is JSON-serialisable.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import shapely
from scipy.optimize import linear_sum_assignment
from shapely.geometry import mapping, shape

from .geo import EARTH_RADIUS_M
from .outputs import write_text
from .schema import iso_utc_series

SPOOFING_KINDS = ("displacement", "circle", "fake_track", "teleport")
EVENT_KINDS = ("spoofing", "jamming")
ANOMALY_KINDS = ("spoofing", "jamming", "other")
LABELS = ("clean", "spoofed", "jammed")
RESULT_FILES = ("events.csv", "zones.geojson", "anomalies.csv")
EVENT_COLUMNS = ["event_id", "kind", "mmsi", "start", "end", "n_reports", "lat", "lon", "score", "reasons", "zone_id"]
ANOMALY_COLUMNS = ["time", "mmsi", "lat", "lon", "kind", "score", "reasons"]
_TIME = "datetime64[ns, UTC]"
_EMPTY_COLLECTION = {"type": "FeatureCollection", "features": []}
_COUNT_KEYS = ("n_truth", "n_pred", "tp", "fp", "fn", "precision", "recall", "f1")
_KIND_OF_LABEL = {"spoofed": "spoofing", "jammed": "jamming"}


@dataclass(frozen=True)
class EvalConfig:
    """Matching tolerances of the scorer (seconds, or a unitless IoU)."""

    #: A predicted event matches a truth event on the same MMSI when the two
    #: intervals overlap after widening by this many seconds. Underway Class A
    #: ships report every 2-10 s, Class B and slow ships every 30 s to 3 min
    #: (ITU-R M.1371), so a detector confirming on a report or two may start or
    #: end a report interval off; 60 s allows that without pairing separate events.
    event_time_tolerance_s: float = 60.0
    #: Minimum intersection-over-union for a predicted zone to find a truth zone.
    #: Ships sample a zone sparsely, so a detector's outline is rough: 0.3 still
    #: accepts a concentric outline 1.8x too large (or 0.55x too small) in radius,
    #: or an equal circle displaced by 0.9 radius, but nothing in the wrong place.
    zone_iou_threshold: float = 0.3
    #: A found zone is on time when its start and end are within this many
    #: seconds of the truth. Jamming is only visible through ships reporting from
    #: inside the zone; at up to 3 min between reports (ITU-R M.1371) and a few
    #: reports to confirm, onset and end are known to a few report intervals.
    zone_time_tolerance_s: float = 600.0
    #: Two truth zones active at once are at one site when their intersection holds
    #: at least this share of the smaller (centres ~0.8 radius apart for equal
    #: discs). Ships inside the intersection stay jammed from the first switch-on to
    #: the last switch-off, so only the few outside it can tell the two apart.
    same_site_share: float = 0.5
    #: Anomaly rows are matched to labels by MMSI and nearest time within this
    #: many seconds: receive times lag the transmission by 0-2 s in the
    #: simulator (a few seconds in real feeds), and a Class A ship's reports are
    #: >= 2 s apart, so the nearest label is the right one.
    report_time_tolerance_s: float = 5.0
    #: Also count MMSIs of anomalies of kind 'jamming' as jammed vessels. Off by
    #: default: events.csv is the detector's vessel-level claim, while a single
    #: noisy anomaly row should not make a vessel 'jammed'.
    jammed_from_anomalies: bool = False
    #: The quality bars of a scenario (issue 4): spoofing-event recall and precision at
    #: least these, every truth zone found and on time, jammed-vessel recall at least
    #: ``bar_jammed_recall``. A score with nothing to count (no truth event, no
    #: prediction, no zone) holds its bar.
    bar_spoofing_recall: float = 0.95
    bar_spoofing_precision: float = 0.90
    bar_jammed_recall: float = 0.90


# --------------------------------------------------------------------------- parsing


def _csv_row(i: int) -> str:
    return f"line {i + 2}"  # header is line 1


def _fail(src: str, row: str, column: str, value: Any, expected: str) -> ValueError:
    return ValueError(f"{src}: {row}: column {column!r} must be {expected}, got {value!r}")


def _first(mask: pd.Series) -> int | None:
    hits = np.flatnonzero(mask.to_numpy())
    return int(hits[0]) if len(hits) else None


def _times(values: pd.Series, src: str, row: Callable[[int], str], column: str) -> pd.Series:
    t = pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")
    if (i := _first(t.isna())) is not None:
        raise _fail(src, row(i), column, values.iloc[i], "an ISO 8601 time")
    return t.astype(_TIME)


def _mmsis(values: pd.Series, src: str, row: Callable[[int], str], column: str = "mmsi") -> pd.Series:
    x = pd.to_numeric(values, errors="coerce")
    bad = x.isna() | (x < 0) | (x >= 1e9) | (x != np.floor(x))
    if (i := _first(bad)) is not None:
        raise _fail(src, row(i), column, values.iloc[i], "an MMSI (integer 0..999999999)")
    return x.astype("int64")


def _choices(
    values: pd.Series, allowed: tuple[str, ...], src: str, row: Callable[[int], str], column: str
) -> pd.Series:
    if (i := _first(~values.isin(allowed))) is not None:
        raise _fail(src, row(i), column, values.iloc[i], "one of " + "|".join(allowed))
    return values.astype(str)


def _intervals(df: pd.DataFrame, src: str, row: Callable[[int], str]) -> pd.DataFrame:
    start = _times(df["start"], src, row, "start")
    end = _times(df["end"], src, row, "end")
    if (i := _first(end < start)) is not None:
        raise _fail(src, row(i), "end", df["end"].iloc[i], f"at or after start {df['start'].iloc[i]!r}")
    return df.assign(start=start, end=end)


def _read_csv(path: Path, required: list[str], optional: tuple[str, ...] = ()) -> pd.DataFrame:
    """The named columns as strings ('' when blank; optional columns absent from the file are '').

    A missing or empty file gives no rows: callers that require the file check first.
    """
    wanted = set(required) | set(optional)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=lambda c: c in wanted)
    except (FileNotFoundError, pd.errors.EmptyDataError):  # a missing or 0-byte file: nothing predicted
        df = pd.DataFrame(columns=required)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a readable CSV file: {exc}") from exc
    if missing := [c for c in required if c not in df.columns]:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)} (has: {', '.join(df.columns)})")
    for c in optional:
        if c not in df.columns:
            df[c] = ""
    return df.astype(str)


@dataclass
class _Truth:
    events: pd.DataFrame  # event_id, mmsi, kind, start, end, claimed_lat, claimed_lon
    zones: pd.DataFrame  # zone_id, start, end, geometry (lon/lat shapely polygon)
    vessels: set[int]  # every MMSI the truth knows about
    clean: set[int]
    affected: set[int]
    base_stations: set[int]


def _load_truth(truth: str | Path | dict) -> tuple[dict, Path | None]:
    if isinstance(truth, dict):
        return truth, None
    path = Path(truth)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object at top level")
    if "spoofing_events" not in data and "jamming_zones" not in data:
        raise ValueError(f"{path}: not a truth file (no 'spoofing_events' or 'jamming_zones'; "
                         "see docs/truth_format.md)")
    return data, path


def _mmsi_set(values: list, src: str, where: str) -> set[int]:
    vals = pd.Series(list(values), dtype=object)
    return set(_mmsis(vals, src, lambda j: f"{where}[{j}]").tolist())


def _truth_tables(data: dict, src: str) -> _Truth:
    ev_cols = ["event_id", "mmsi", "kind", "start", "end", "claimed_lat", "claimed_lon"]
    events = pd.DataFrame(data.get("spoofing_events") or [], columns=ev_cols)
    events["mmsi"] = _mmsis(events["mmsi"], src, lambda i: f"spoofing_events[{i}]")
    events = _intervals(events, src, lambda i: f"spoofing_events[{i}]")
    events["event_id"] = events["event_id"].fillna("").astype(str)
    events["kind"] = events["kind"].fillna("").astype(str)

    raw_zones = data.get("jamming_zones") or []
    geoms = []
    for i, z in enumerate(raw_zones):  # a handful of zones, each a nested JSON object
        try:
            g = shapely.make_valid(shape(z["geometry"]))
        except Exception as exc:  # shapely raises several types for bad GeoJSON
            raise ValueError(f"{src}: jamming_zones[{i}]: bad 'geometry': {exc}") from exc
        if g.area <= 0:
            raise ValueError(f"{src}: jamming_zones[{i}]: 'geometry' has no area")
        geoms.append(g)
    zones = pd.DataFrame(raw_zones, columns=["zone_id", "start", "end"])
    zones = _intervals(zones, src, lambda i: f"jamming_zones[{i}]")
    zones["zone_id"] = zones["zone_id"].fillna("").astype(str)
    zones["geometry"] = pd.Series(geoms, index=zones.index, dtype=object)
    zones["n_witnesses"] = pd.Series([len(z.get("affected_mmsi") or []) + len(z.get("base_stations") or [])
                                      if "affected_mmsi" in z or "base_stations" in z else None for z in raw_zones],
                                     index=zones.index, dtype=object)

    clean = _mmsi_set(data.get("clean_mmsi") or [], src, "clean_mmsi")
    affected: set[int] = set()
    base_stations: set[int] = set()
    for i, z in enumerate(raw_zones):
        affected |= _mmsi_set(z.get("affected_mmsi") or [], src, f"jamming_zones[{i}].affected_mmsi")
        base_stations |= _mmsi_set(z.get("base_stations") or [], src, f"jamming_zones[{i}].base_stations")
    listed = _mmsi_set([v.get("mmsi") for v in data.get("vessels") or []], src, "vessels")
    vessels = listed | clean | affected | set(events["mmsi"].tolist())
    return _Truth(events, zones, vessels, clean, affected, base_stations)


def _load_events(path: Path) -> pd.DataFrame:
    df = _read_csv(path, ["kind", "mmsi", "start", "end"], optional=("event_id",))
    src = str(path)
    df = df.assign(
        kind=_choices(df["kind"], EVENT_KINDS, src, _csv_row, "kind"), mmsi=_mmsis(df["mmsi"], src, _csv_row)
    )
    return _intervals(df, src, _csv_row)[["event_id", "kind", "mmsi", "start", "end"]]


def _load_anomalies(path: Path) -> pd.DataFrame:
    df = _read_csv(path, ["time", "mmsi", "kind"])
    src = str(path)
    return pd.DataFrame(
        {
            "time": _times(df["time"], src, _csv_row, "time"),
            "mmsi": _mmsis(df["mmsi"], src, _csv_row),
            "kind": _choices(df["kind"], ANOMALY_KINDS, src, _csv_row, "kind"),
        }
    )


def _load_zones(path: Path) -> pd.DataFrame:
    """Predicted zones (none when the file is missing)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else _EMPTY_COLLECTION
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON: {exc}") from exc
    if not (isinstance(data, dict) and data.get("type") == "FeatureCollection" and isinstance(data.get("features"), list)):
        raise ValueError(f"{path}: expected a GeoJSON FeatureCollection")
    rows = []
    for i, feat in enumerate(data["features"]):  # predicted zones are few; each is a nested JSON object
        geom = feat.get("geometry") if isinstance(feat, dict) else None
        if not isinstance(geom, dict) or geom.get("type") not in ("Polygon", "MultiPolygon"):
            raise ValueError(f"{path}: feature {i}: geometry must be a Polygon or MultiPolygon")
        try:
            g = shapely.make_valid(shape(geom))
        except Exception as exc:  # shapely raises several types for bad coordinates
            raise ValueError(f"{path}: feature {i}: bad geometry: {exc}") from exc
        props = feat.get("properties") or {}
        zone_id = str(props.get("zone_id") or f"#{i}")
        rows.append({"zone_id": zone_id, "start": props.get("start"), "end": props.get("end"), "geometry": g})
    df = pd.DataFrame(rows, columns=["zone_id", "start", "end", "geometry"])
    return _intervals(df, str(path), lambda i: f"feature {i} properties")


def _load_labels(path: Path, full: bool = False) -> pd.DataFrame:
    """labels.csv with parsed time, mmsi, label (and, when ``full``, ids and reported positions)."""
    if not path.is_file():
        raise FileNotFoundError(f"labels file not found: {path}")
    extra = ("event_id", "zone_id", "lat_reported", "lon_reported") if full else ()
    df = _read_csv(path, ["time", "mmsi", "label"], optional=extra)
    src = str(path)
    return df.assign(
        time=_times(df["time"], src, _csv_row, "time"),
        mmsi=_mmsis(df["mmsi"], src, _csv_row),
        label=_choices(df["label"], LABELS, src, _csv_row, "label"),
    )


# --------------------------------------------------------------------------- metrics


def _ratio(num: int, den: int) -> float | None:
    return None if den == 0 else num / den


def _counts(tp: int, n_pred: int, n_truth: int) -> dict[str, Any]:
    """tp/fp/fn with precision, recall and F1 for a one-to-one matching."""
    fp, fn = n_pred - tp, n_truth - tp
    return {
        "n_truth": int(n_truth), "n_pred": int(n_pred), "tp": int(tp), "fp": int(fp), "fn": int(fn),
        "precision": _ratio(tp, n_pred), "recall": _ratio(tp, n_truth), "f1": _ratio(2 * tp, 2 * tp + fp + fn),
    }


def _greedy(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Positions of the pairs kept by one-to-one greedy matching; pairs come best first."""
    used_a: set[int] = set()
    used_b: set[int] = set()
    keep = []
    for k, (i, j) in enumerate(zip(a.tolist(), b.tolist())):  # sequential: each pick removes candidates
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            keep.append(k)
    return np.asarray(keep, dtype=int)


def _utc64(times: pd.Series) -> np.ndarray:
    """UTC times as a naive datetime64[ns] array (tz-aware columns give object arrays)."""
    return times.dt.tz_convert(None).to_numpy()


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: Python scalars, NaN as None."""
    return json.loads(df.to_json(orient="records"))


def _score_spoofing(truth: _Truth, events: pd.DataFrame, cfg: EvalConfig) -> dict[str, Any]:
    t = truth.events.reset_index(drop=True)
    pred = events[events["kind"] == "spoofing"].reset_index(drop=True)
    pairs = t[["mmsi", "start", "end"]].reset_index(names="ti").merge(
        pred[["mmsi", "start", "end"]].reset_index(names="pi"), on="mmsi", suffixes=("_t", "_p")
    )
    first_end = pairs["end_t"].where(pairs["end_t"] < pairs["end_p"], pairs["end_p"])
    last_start = pairs["start_t"].where(pairs["start_t"] > pairs["start_p"], pairs["start_p"])
    pairs["overlap_s"] = (first_end - last_start).dt.total_seconds()
    pairs = pairs[pairs["overlap_s"] >= -cfg.event_time_tolerance_s]
    pairs = pairs.sort_values(["overlap_s", "ti", "pi"], ascending=[False, True, True])
    kept = pairs.iloc[_greedy(pairs["ti"].to_numpy(), pairs["pi"].to_numpy())]

    ti, pi = kept["ti"].to_numpy(), kept["pi"].to_numpy()
    detail = t[["event_id", "mmsi", "kind"]].assign(
        found=False, pred_event_id=None, start_error_s=np.nan, end_error_s=np.nan
    )
    detail.loc[ti, "found"] = True
    detail.loc[ti, "pred_event_id"] = pred["event_id"].to_numpy()[pi]
    for col in ("start", "end"):
        detail.loc[ti, f"{col}_error_s"] = (_utc64(pred[col])[pi] - _utc64(t[col])[ti]) / np.timedelta64(1, "s")

    by_kind = detail.groupby("kind")["found"].agg(["size", "sum"])
    kinds = list(SPOOFING_KINDS) + sorted(set(by_kind.index) - set(SPOOFING_KINDS))
    recall_by_kind = {}
    for k in kinds:
        n, tp = (int(by_kind.at[k, "size"]), int(by_kind.at[k, "sum"])) if k in by_kind.index else (0, 0)
        recall_by_kind[k] = {"n_truth": n, "tp": tp, "fn": n - tp, "recall": _ratio(tp, n)}

    spoofed = set(t["mmsi"].tolist())
    flagged = set(pred["mmsi"].tolist())
    unspoofed = truth.vessels - spoofed
    vessels = {
        "n_spoofed": len(spoofed),
        "spoofed_flagged": len(spoofed & flagged),
        "recall": _ratio(len(spoofed & flagged), len(spoofed)),
        "n_clean": len(truth.clean),
        "clean_flagged": len(truth.clean & flagged),
        "false_alarm_rate_clean": _ratio(len(truth.clean & flagged), len(truth.clean)),
        "n_unspoofed": len(unspoofed),
        "unspoofed_flagged": len(unspoofed & flagged),
        "false_alarm_rate_unspoofed": _ratio(len(unspoofed & flagged), len(unspoofed)),
        "unknown_mmsi_flagged": len(flagged - truth.vessels),
    }
    return {
        **_counts(len(kept), len(pred), len(t)),
        "recall_by_kind": recall_by_kind,
        "vessels": vessels,
        "events": _records(detail),
    }


def _laea(lon0: float, lat0: float) -> Callable[[np.ndarray], np.ndarray]:
    """Lambert azimuthal equal-area projection (sphere) about (lon0, lat0): (N, 2) lon/lat degrees -> metres."""
    phi0, lam0 = np.radians(lat0), np.radians(lon0)

    def project(coords: np.ndarray) -> np.ndarray:
        lam = np.radians(coords[:, 0]) - lam0
        phi = np.radians(coords[:, 1])
        k = np.sqrt(2.0 / (1.0 + np.sin(phi0) * np.sin(phi) + np.cos(phi0) * np.cos(phi) * np.cos(lam)))
        x = EARTH_RADIUS_M * k * np.cos(phi) * np.sin(lam)
        y = EARTH_RADIUS_M * k * (np.cos(phi0) * np.sin(phi) - np.sin(phi0) * np.cos(phi) * np.cos(lam))
        return np.column_stack([x, y])

    return project


def _iou(a: Any, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """IoU of geometry ``a`` with each of ``b`` and the intersection areas (projected units)."""
    inter = shapely.area(shapely.intersection(a, b))
    union = shapely.area(shapely.union(a, b))
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0), inter


def _company(zones: pd.DataFrame, cfg: EvalConfig) -> list[tuple[str, list[str]]]:
    """Per truth zone: 'same_site', 'overlapping' or 'alone', and the zones active at the same
    time that it shares area with (see the module docstring)."""
    start, end = _utc64(zones["start"]), _utc64(zones["end"])
    geom = zones["geometry"].to_numpy()
    out = []
    for i in range(len(zones)):
        project = _laea(*geom[i].centroid.coords[0])
        mine = shapely.transform(geom[i], project)
        kind, ids = "alone", []
        for j in np.flatnonzero((start < end[i]) & (end > start[i])):
            if j == i:
                continue
            other = shapely.transform(geom[j], project)
            shared = shapely.area(shapely.intersection(mine, other))
            if shared <= 0:
                continue
            ids.append(str(zones["zone_id"].iloc[j]))
            if shared >= cfg.same_site_share * min(mine.area, other.area):
                kind = "same_site"
            elif kind == "alone":
                kind = "overlapping"
        out.append((kind, ids))
    return out


def _score_zones(truth: _Truth, pred: pd.DataFrame, cfg: EvalConfig) -> dict[str, Any]:
    pred = pred.reset_index(drop=True)
    p_start, p_end = _utc64(pred["start"]), _utc64(pred["end"])
    p_geom = pred["geometry"].to_numpy()
    tz_all = list(truth.zones.itertuples(index=False))
    n_t, n_p, thr, tol = len(tz_all), len(pred), cfg.zone_iou_threshold, cfg.zone_time_tolerance_s
    iou = np.zeros((n_t, n_p))
    inter = np.zeros((n_t, n_p))
    # Per truth zone: it and its candidates in its own equal-area projection (None: no candidate).
    projected_of: list[Any] = [None] * n_t
    n_cand = np.zeros(n_t, dtype=int)
    for i, z in enumerate(tz_all):  # a handful of zones
        cand = np.flatnonzero((p_start <= z.end.to_datetime64()) & (p_end >= z.start.to_datetime64()))
        n_cand[i] = len(cand)
        if len(cand):
            project = _laea(*z.geometry.centroid.coords[0])
            projected = np.full(n_p, None, dtype=object)  # only candidates: a far one would not project finitely
            projected[cand] = shapely.transform(p_geom[cand], project)
            projected_of[i] = (shapely.transform(z.geometry, project), projected)
            iou[i, cand], inter[i, cand] = _iou(projected_of[i][0], projected[cand])
    t_start = np.array([z.start.to_datetime64() for z in tz_all], dtype="datetime64[ns]")
    t_end = np.array([z.end.to_datetime64() for z in tz_all], dtype="datetime64[ns]")
    sec = np.timedelta64(1, "s")
    on_time = ((np.abs(p_start[None, :] - t_start[:, None]) / sec <= tol)
               & (np.abs(p_end[None, :] - t_end[:, None]) / sec <= tol))
    single = iou >= thr
    chosen: list[np.ndarray] = [np.empty(0, dtype=int)] * n_t
    if single.any():
        # Most zones found, then most on time, then the largest IoU sum (each term outweighs the next).
        gain = np.where(single, float(n_t + 1) ** 2 + on_time * float(n_t + 1) + iou, 0.0)
        rows, cols = linear_sum_assignment(gain, maximize=True)
        for i, j in zip(rows.tolist(), cols.tolist()):
            if single[i, j]:
                chosen[i] = np.array([j])

    def iou_of_union(i: int, k: np.ndarray) -> float:
        """IoU of truth zone ``i`` with the union of predictions ``k``."""
        truth_geom, projected = projected_of[i]
        return float(_iou(truth_geom, np.array([shapely.union_all(projected[k])]))[0][0])

    taken = np.zeros(n_p, dtype=bool)
    for k in chosen:
        taken[k] = True
    union_iou = np.zeros(n_t)
    for i in range(n_t):
        touching = np.flatnonzero(inter[i] > 0)
        if len(touching):
            union_iou[i] = iou_of_union(i, touching)
        free = touching[~taken[touching]]
        if not len(chosen[i]) and len(free):
            # a zone the detector split over several predictions that none matches alone
            if iou_of_union(i, free) >= thr:
                chosen[i] = free
                taken[free] = True
    zones = []
    for i, (z, (kind, with_ids)) in enumerate(zip(tz_all, _company(truth.zones, cfg))):
        found = len(chosen[i]) > 0
        start_err = end_err = None
        if found:
            start_err = float((p_start[chosen[i]].min() - z.start.to_datetime64()) / sec)
            end_err = float((p_end[chosen[i]].max() - z.end.to_datetime64()) / sec)
        zones.append({
            "zone_id": z.zone_id,
            "found": bool(found),
            "best_iou": float(iou[i].max()) if n_p else 0.0,
            "union_iou": float(union_iou[i]),
            "n_candidates": int(n_cand[i]),
            "pred_zone_ids": pred["zone_id"].to_numpy()[chosen[i]].tolist(),
            "start_error_s": start_err,
            "end_error_s": end_err,
            "timing_ok": bool(found and abs(start_err) <= tol and abs(end_err) <= tol),
            "company": kind,
            "company_zone_ids": with_ids,
            "n_witnesses": z.n_witnesses,
        })
    matched_pred = set(np.flatnonzero(taken).tolist())
    n_found = sum(z["found"] for z in zones)
    n_on_time = sum(z["timing_ok"] for z in zones)
    return {
        "n_truth": len(zones),
        "n_pred": len(pred),
        "found": n_found,
        "recall": _ratio(n_found, len(zones)),
        "pred_matched": len(matched_pred),
        "precision": _ratio(len(matched_pred), len(pred)),
        "timing_ok": n_on_time,
        "timing_ok_rate": _ratio(n_on_time, n_found),
        "unmatched_pred_zone_ids": pred["zone_id"].drop(index=list(matched_pred)).tolist(),
        "zones": zones,
    }


def _score_jammed_vessels(
    truth: _Truth, events: pd.DataFrame, anomalies: pd.DataFrame, cfg: EvalConfig
) -> dict[str, Any]:
    flagged = set(events.loc[events["kind"] == "jamming", "mmsi"].tolist())
    if cfg.jammed_from_anomalies:
        flagged |= set(anomalies.loc[anomalies["kind"] == "jamming", "mmsi"].tolist())
    neutral = truth.base_stations - truth.affected  # base stations lose GNSS time, they are not vessels
    scored = flagged - neutral
    return {
        **_counts(len(scored & truth.affected), len(scored), len(truth.affected)),
        "clean_flagged": len(flagged & truth.clean),
        "false_alarm_rate_clean": _ratio(len(flagged & truth.clean), len(truth.clean)),
        "base_stations_flagged": len(flagged & neutral),
    }


def _score_reports(labels: pd.DataFrame, anomalies: pd.DataFrame, cfg: EvalConfig) -> dict[str, Any]:
    lab = labels[["time", "mmsi", "label"]].assign(label_row=np.arange(len(labels))).sort_values("time")
    rows = anomalies[anomalies["kind"] != "other"].sort_values("time")
    tol = pd.Timedelta(seconds=cfg.report_time_tolerance_s)
    m = pd.merge_asof(rows, lab, on="time", by="mmsi", direction="nearest", tolerance=tol)
    positive = m["label"].isin(list(_KIND_OF_LABEL))
    n_pos = {c: int((labels["label"] == c).sum()) for c in _KIND_OF_LABEL}

    def block(pred: pd.Series, hit: pd.Series, n_truth: int) -> dict[str, Any]:
        n_pred, tp_pred = int(pred.sum()), int((pred & hit).sum())
        tp_truth = int(m.loc[pred & hit, "label_row"].nunique())
        return {
            "n_truth": n_truth, "n_pred": n_pred, "tp_pred": tp_pred, "tp_truth": tp_truth,
            "precision": _ratio(tp_pred, n_pred), "recall": _ratio(tp_truth, n_truth),
        }

    everything = pd.Series(True, index=m.index)
    out = {"any": block(everything, positive, sum(n_pos.values()))}
    for label, kind in _KIND_OF_LABEL.items():
        out[label] = block(m["kind"] == kind, m["label"] == label, n_pos[label])
    out["n_labels"] = len(labels)
    out["n_unmatched_rows"] = int(m["label"].isna().sum())
    out["n_other_rows"] = int((anomalies["kind"] == "other").sum())
    return out


def _labels_beside(truth_path: Path) -> list[Path]:
    """Where a truth file's labels may lie, in order: named as it is (NAME.truth.json ->
    NAME.labels.csv, as the bundled sample), or labels.csv beside it; plain or gzipped."""
    stem = truth_path.name.removesuffix(".json").removesuffix(".truth")
    return [truth_path.parent / (n + gz) for n in (f"{stem}.labels.csv", "labels.csv") for gz in ("", ".gz")]


# --------------------------------------------------------------------------- public API


def evaluate(
    truth: str | Path | dict,
    results_dir: str | Path,
    labels: str | Path | None = None,
    config: EvalConfig | None = None,
) -> dict[str, Any]:
    """Score the detection outputs in ``results_dir`` against ``truth``.

    ``labels`` defaults to the labels beside ``truth`` when that is a path and
    they exist (:func:`_labels_beside`: ``NAME.labels.csv`` for ``NAME.truth.json``,
    else ``labels.csv``, either gzipped or not); without labels the
    report-level score is ``None``.
    Missing result files score as empty predictions (named in
    ``missing_files``). Raises ValueError for malformed files (naming file and
    row) and FileNotFoundError when ``results_dir`` or an explicit ``labels``
    path does not exist.
    """
    cfg = config or EvalConfig()
    data, truth_path = _load_truth(truth)
    t = _truth_tables(data, str(truth_path or "truth"))
    rdir = Path(results_dir)
    if not rdir.is_dir():
        raise FileNotFoundError(f"results directory not found: {rdir}")
    if labels is None and truth_path is not None:
        labels = next((p for p in _labels_beside(truth_path) if p.is_file()), None)

    missing = [name for name in RESULT_FILES if not (rdir / name).is_file()]
    events = _load_events(rdir / "events.csv")
    zones = _load_zones(rdir / "zones.geojson")
    anomalies = _load_anomalies(rdir / "anomalies.csv")
    spoofing = _score_spoofing(t, events, cfg)
    zone_scores = _score_zones(t, zones, cfg)
    jammed = _score_jammed_vessels(t, events, anomalies, cfg)
    return {
        "version": 1,
        "inputs": {
            "truth": str(truth_path) if truth_path else None,
            "labels": str(labels) if labels is not None else None,
            "results_dir": str(rdir),
        },
        "missing_files": missing,
        "config": dataclasses.asdict(cfg),
        "spoofing": spoofing,
        "zones": zone_scores,
        "jammed_vessels": jammed,
        "reports": _score_reports(_load_labels(Path(labels)), anomalies, cfg) if labels is not None else None,
        "bars": _bars(spoofing, zone_scores, jammed, cfg),
    }


def _bars(spoofing: dict[str, Any], zones: dict[str, Any], jammed: dict[str, Any], cfg: EvalConfig) -> dict[str, bool]:
    """Which of the quality bars (:class:`EvalConfig`) the scores hold, and ``all``."""
    def at_least(x: float | None, bar: float) -> bool:
        return x is None or x >= bar

    bars = {
        "spoofing_recall": at_least(spoofing["recall"], cfg.bar_spoofing_recall),
        "spoofing_precision": at_least(spoofing["precision"], cfg.bar_spoofing_precision),
        "zones_on_time": all(z["found"] and z["timing_ok"] for z in zones["zones"]),
        "jammed_recall": at_least(jammed["recall"], cfg.bar_jammed_recall),
    }
    return {**bars, "all": all(bars.values())}


def write_evaluation(result: dict[str, Any], path: str | Path) -> Path:
    """Write ``result`` as JSON to ``path`` atomically (serialised first: a failure leaves no file)."""
    return write_text(path, json.dumps(result, indent=2, allow_nan=False) + "\n")


def truth_as_results(truth: str | Path | dict, labels: str | Path | None, out_dir: str | Path) -> Path:
    """Write the perfect prediction of ``truth`` into ``out_dir`` (events.csv, zones.geojson, anomalies.csv).

    Spoofing events are the truth events; each affected vessel of a zone gets a
    jamming event spanning the zone window; zones are the truth polygons; and
    anomalies are the non-clean rows of ``labels`` (empty without labels).
    Returns ``out_dir``.
    """
    data, truth_path = _load_truth(truth)
    t = _truth_tables(data, str(truth_path or "truth"))
    lab = _load_labels(Path(labels), full=True) if labels is not None else None
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    spoof_n = lab["event_id"].value_counts() if lab is not None else pd.Series(dtype="int64")
    spoof = pd.DataFrame({
        "event_id": t.events["event_id"], "kind": "spoofing", "mmsi": t.events["mmsi"],
        "start": iso_utc_series(t.events["start"]), "end": iso_utc_series(t.events["end"]),
        "n_reports": t.events["event_id"].map(spoof_n).fillna(0).astype(int),
        "lat": t.events["claimed_lat"], "lon": t.events["claimed_lon"], "score": 1.0, "reasons": "truth", "zone_id": "",
    })
    zraw = pd.DataFrame(data.get("jamming_zones") or [], columns=["zone_id", "affected_mmsi", "centre"])
    zones = t.zones.assign(
        affected_mmsi=zraw["affected_mmsi"].map(lambda v: v or []).to_numpy(), centre=zraw["centre"].to_numpy()
    )
    jam = zones.explode("affected_mmsi").dropna(subset=["affected_mmsi"])
    if lab is not None:
        jam_n = lab[lab["label"] == "jammed"].groupby(["zone_id", "mmsi"]).size()
        keys = pd.MultiIndex.from_arrays([jam["zone_id"], jam["affected_mmsi"].astype("int64")])
        n_jam = jam_n.reindex(keys).fillna(0).astype(int).to_numpy()
    else:
        n_jam = 0
    jam_events = pd.DataFrame({
        "event_id": jam["zone_id"] + "-" + jam["affected_mmsi"].astype(str), "kind": "jamming",
        "mmsi": jam["affected_mmsi"].astype("int64"),
        "start": iso_utc_series(jam["start"]), "end": iso_utc_series(jam["end"]),
        "n_reports": n_jam, "lat": jam["centre"].str[1], "lon": jam["centre"].str[0],
        "score": 1.0, "reasons": "truth", "zone_id": jam["zone_id"],
    })
    pd.concat([spoof, jam_events], ignore_index=True)[EVENT_COLUMNS].to_csv(out / "events.csv", index=False)

    zone_n = lab[lab["label"] == "jammed"]["zone_id"].value_counts() if lab is not None else pd.Series(dtype="int64")
    features = [
        {
            "type": "Feature",
            "geometry": mapping(z.geometry),
            "properties": {
                "zone_id": z.zone_id, "start": s, "end": e, "n_vessels": len(z.affected_mmsi),
                "n_reports": int(zone_n.get(z.zone_id, 0)), "confidence": 1.0, "centre": z.centre,
            },
        }
        for z, s, e in zip(zones.itertuples(index=False), iso_utc_series(zones["start"]),
                           iso_utc_series(zones["end"]))
    ]
    collection = {"type": "FeatureCollection", "features": features}
    (out / "zones.geojson").write_text(json.dumps(collection), encoding="utf-8")

    if lab is not None:
        bad = lab[lab["label"] != "clean"]
        anomalies = pd.DataFrame({
            "time": iso_utc_series(bad["time"]), "mmsi": bad["mmsi"],
            "lat": pd.to_numeric(bad["lat_reported"], errors="coerce"),
            "lon": pd.to_numeric(bad["lon_reported"], errors="coerce"),
            "kind": bad["label"].map(_KIND_OF_LABEL), "score": 1.0, "reasons": "truth",
        })
    else:
        anomalies = pd.DataFrame(columns=ANOMALY_COLUMNS)
    anomalies[ANOMALY_COLUMNS].to_csv(out / "anomalies.csv", index=False)
    return out


def _fmt(x: Any) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:.3f}"
    return str(x)


def _grid(headers: list[str], rows: list[list[Any]], indent: str = "  ") -> list[str]:
    cells = [headers] + [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    # first column (row names) left-aligned, numbers right-aligned
    return [indent + "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in cells]


def format_table(result: dict[str, Any]) -> str:
    """The evaluation as plain-text tables for a terminal."""
    cfg = result["config"]
    inp = result["inputs"]
    lines = [f"Evaluation of {inp['results_dir']} against {inp['truth'] or 'truth (dict)'}"]
    if result["missing_files"]:
        lines.append(f"Missing result files (scored as empty): {', '.join(result['missing_files'])}")

    sp = result["spoofing"]
    lines += ["", f"Spoofing events (same MMSI, intervals overlap within {cfg['event_time_tolerance_s']:g} s)"]
    lines += _grid(["", "truth", "pred", "tp", "fp", "fn", "precision", "recall", "F1"],
                   [["events", *(sp[k] for k in _COUNT_KEYS)]])
    lines += _grid(["kind", "truth", "found", "recall"],
                   [[k, v["n_truth"], v["tp"], v["recall"]] for k, v in sp["recall_by_kind"].items()])
    v = sp["vessels"]
    lines += _grid(["vessels", "n", "flagged", "rate"], [
        ["spoofed (recall)", v["n_spoofed"], v["spoofed_flagged"], v["recall"]],
        ["clean (false alarms)", v["n_clean"], v["clean_flagged"], v["false_alarm_rate_clean"]],
        ["not spoofed (false alarms)", v["n_unspoofed"], v["unspoofed_flagged"], v["false_alarm_rate_unspoofed"]],
        ["unknown MMSI", "-", v["unknown_mmsi_flagged"], "-"],
    ])

    zn = result["zones"]
    lines += ["", f"Jamming zones (time overlap and IoU >= {cfg['zone_iou_threshold']:g}, each prediction matching one "
                  f"truth zone; on time within {cfg['zone_time_tolerance_s']:g} s)"]
    lines += _grid(["", "truth", "pred", "found", "matched pred", "precision", "recall", "on time"],
                   [["zones", *(zn[k] for k in ("n_truth", "n_pred", "found", "pred_matched", "precision", "recall", "timing_ok"))]])
    if zn["zones"]:
        lines += _grid(["zone", "found", "best IoU", "union IoU", "start err s", "end err s", "on time", "predicted",
                        "company"], [
            [z["zone_id"], "yes" if z["found"] else "no", z["best_iou"], z["union_iou"],
             None if z["start_error_s"] is None else f"{z['start_error_s']:+.0f}",
             None if z["end_error_s"] is None else f"{z['end_error_s']:+.0f}",
             "yes" if z["timing_ok"] else "no", ",".join(z["pred_zone_ids"]) or "-",
             z["company"] + (f" ({','.join(z['company_zone_ids'])})" if z["company_zone_ids"] else "")]
            for z in zn["zones"]
        ])

    jv = result["jammed_vessels"]
    lines += ["", "Jammed vessels (MMSIs with a jamming event)"]
    lines += _grid(["", "truth", "pred", "tp", "fp", "fn", "precision", "recall", "F1", "clean flagged", "base stns flagged"],
                   [["vessels", *(jv[k] for k in (*_COUNT_KEYS, "clean_flagged", "base_stations_flagged"))]])

    rp = result["reports"]
    lines += ["", f"Reports (same MMSI, nearest label within {cfg['report_time_tolerance_s']:g} s)"]
    if rp is None:
        lines.append("  skipped: no labels.csv")
    else:
        lines += _grid(["class", "truth", "found", "pred", "pred ok", "precision", "recall"],
                       [[c, *(rp[c][k] for k in ("n_truth", "tp_truth", "n_pred", "tp_pred", "precision", "recall"))]
                        for c in ("any", "spoofed", "jammed")])
        lines.append(f"  {rp['n_labels']} labels; {rp['n_unmatched_rows']} anomaly rows matched no label; "
                     f"{rp['n_other_rows']} 'other' rows not scored")
    b = result.get("bars")
    if b is not None:  # absent in evaluations written before the bars were scored
        missed = [name.replace("_", " ") for name, ok in b.items() if name != "all" and not ok]
        lines += ["", f"Quality bars (spoofing recall >= {cfg['bar_spoofing_recall']:g}, precision >= "
                      f"{cfg['bar_spoofing_precision']:g}; every zone found on time; jammed-vessel recall >= "
                      f"{cfg['bar_jammed_recall']:g}): " + ("all met" if b["all"] else "missed: " + ", ".join(missed))]
    return "\n".join(lines) + "\n"
