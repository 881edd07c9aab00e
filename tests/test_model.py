"""Tests for gnss_watch.model: features, the calibrated forest, and combine().

Run as a script for the fit + score time on ~130,000 synthetic reports:
``.venv/bin/python tests/test_model.py``.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import NotFittedError

from gnss_watch import land, model, read
from gnss_watch.config import TrackConfig
from gnss_watch.geo import KNOT_MS, destination, haversine_m
from gnss_watch.model import (
    ALERT_THRESHOLD,
    BASELINE_S,
    FEATURES,
    FOREST_THRESHOLD,
    InterferenceForest,
    combine,
    features,
)
from gnss_watch.schema import POSITION_DTYPES, conform
from gnss_watch.tracks import build_tracks

T0 = pd.Timestamp("2024-06-01T00:00:00Z")


def clean_positions(n_vessels: int, duration_s: float, seed: int) -> pd.DataFrame:
    """Straight tracks with GNSS noise in the open Baltic (south-east of Gotland, no land).

    70 % Class A (10 s reports under way, 15 % of them at anchor reporting every
    3 min), 30 % Class B (30 s); fix noise sigma 5 m (A) / 10 m (B), SOG noise
    0.1 kn, COG noise 1 deg.
    """
    rng = np.random.default_rng(seed)
    class_a = rng.random(n_vessels) < 0.7
    anchored = class_a & (rng.random(n_vessels) < 0.15)
    speed = np.where(anchored, 0.0, np.where(class_a, rng.uniform(6, 20, n_vessels), rng.uniform(3, 12, n_vessels)))
    course = rng.uniform(0, 360, n_vessels)
    interval = np.where(class_a, np.where(anchored, 180.0, 10.0), 30.0)
    lat0, lon0 = rng.uniform(55.4, 56.0, n_vessels), rng.uniform(17.5, 19.5, n_vessels)
    n_rep = np.floor(duration_s / interval).astype(int)
    v = np.repeat(np.arange(n_vessels), n_rep)
    k = np.arange(len(v)) - np.repeat(np.cumsum(n_rep) - n_rep, n_rep)
    t = rng.uniform(0, interval)[v] + k * interval[v] + rng.normal(0, 0.3, len(v))
    lat, lon = destination(lat0[v], lon0[v], course[v], speed[v] * KNOT_MS * t)
    sigma = np.where(class_a, 5.0, 10.0)[v]
    lat = lat + rng.normal(0, 1, len(v)) * sigma / 111_195.0
    lon = lon + rng.normal(0, 1, len(v)) * sigma / (111_195.0 * np.cos(np.radians(lat)))
    time_ = T0 + pd.to_timedelta(t, unit="s")
    df = pd.DataFrame({
        "time": time_, "mmsi": 230_000_000 + v, "lat": lat, "lon": lon,
        "sog": np.round(np.clip(speed[v] + rng.normal(0, 0.1, len(v)), 0, None), 1),
        "cog": np.round(np.where(anchored[v], rng.uniform(0, 360, len(v)),
                                 (course[v] + rng.normal(0, 1, len(v))) % 360), 1),
        "accuracy": np.where(class_a, 1, 0)[v], "raim": (rng.random(n_vessels) < 0.5).astype(int)[v],
        "second": time_.second, "nav_status": np.where(anchored, 1, 0)[v],
        "msg_type": np.where(class_a, 1, 18)[v], "device": np.where(class_a, "A", "B")[v],
    })
    return conform(df, POSITION_DTYPES)


def inject(pos: pd.DataFrame, seed: int = 1, n_teleport: int = 8, n_speed: int = 6, stretch: int = 10):
    """Teleport one mid-track fix of ``n_teleport`` Class A ships by 20-40 km, and overstate SOG by
    12 kn over ``stretch`` reports of ``n_speed`` others. Returns the positions and a per-row kind."""
    rng = np.random.default_rng(seed)
    pos = pos.copy()
    per = pos.groupby("mmsi").agg(sog=("sog", "median"), device=("device", "first"))
    ships = rng.choice(per[(per.sog > 6) & (per.device == "A")].index.to_numpy(), n_teleport + n_speed, replace=False)
    kind = np.full(len(pos), "", dtype=object)
    for i, mmsi in enumerate(ships):
        rows = np.flatnonzero(pos["mmsi"].to_numpy() == mmsi)
        mid = rows[len(rows) // 2]
        if i < n_teleport:
            lat, lon = destination(pos.at[mid, "lat"], pos.at[mid, "lon"], rng.uniform(0, 360), rng.uniform(20e3, 40e3))
            pos.loc[mid, ["lat", "lon"]] = [float(lat), float(lon)]
            kind[mid] = "teleport"
        else:
            sl = rows[len(rows) // 2: len(rows) // 2 + stretch]
            pos.loc[sl, "sog"] += 12.0
            kind[sl] = "speed"
    pos["kind"] = kind
    return pos


def affected(tracks: pd.DataFrame) -> np.ndarray:
    """Injected rows plus the reports whose speed baseline still spans an overstated SOG."""
    hit = (tracks["kind"] != "").to_numpy()
    last = tracks[tracks["kind"] == "speed"].groupby("mmsi")["time"].max()
    end = tracks["mmsi"].map(last)
    after = (tracks["time"] > end) & (tracks["time"] <= end + pd.Timedelta(seconds=BASELINE_S))
    return hit | after.to_numpy()


@pytest.fixture(scope="module")
def clean_a() -> pd.DataFrame:
    return build_tracks(clean_positions(200, 2400, seed=0), TrackConfig())


@pytest.fixture(scope="module")
def clean_b() -> pd.DataFrame:
    """Features of clean traffic the forest was not fitted on."""
    return features(build_tracks(clean_positions(200, 2400, seed=5), TrackConfig()))


@pytest.fixture(scope="module")
def fitted(clean_a) -> tuple[InterferenceForest, pd.DataFrame]:
    X = features(clean_a)
    return InterferenceForest().fit(X), X


@pytest.fixture(scope="module")
def injected() -> pd.DataFrame:
    return build_tracks(inject(clean_positions(200, 2400, seed=0)), TrackConfig())


def tracks_of(**cols) -> pd.DataFrame:
    """Tracks from columns; ``time`` in seconds after T0."""
    cols["time"] = T0 + pd.to_timedelta(np.asarray(cols["time"], dtype=float), unit="s")
    cols.setdefault("device", ["A"] * len(cols["time"]))
    return build_tracks(conform(pd.DataFrame(cols), POSITION_DTYPES), TrackConfig())


# --- features ----------------------------------------------------------------------------------------


def test_features_by_hand():
    # Ship 1 steams north at 10 kn from the middle of a cell_degraded_share cell, reporting every
    # 10 s; its 10th fix is displaced 20 km east, its 12th has no position and says 'positioning
    # inoperative'. Ship 2 lies 500 m east of ship 1's start, at anchor, a high-speed craft by its
    # static data.
    x, y = land.project(18.0, 55.5)
    lon0, lat0 = land.unproject((np.floor(x / model.CELL_M) + 0.5) * model.CELL_M,
                                (np.floor(y / model.CELL_M) + 0.5) * model.CELL_M)
    n = 20
    t = 10.0 * np.arange(n)
    lat, lon = destination(np.full(n, lat0), np.full(n, lon0), np.zeros(n), 10 * KNOT_MS * t)
    lat10, lon10 = destination(lat[10], lon[10], 90.0, 20_000.0)
    lat[10], lon[10] = lat10, lon10
    lat[12] = lon[12] = np.nan
    second = np.zeros(n, dtype=int)
    second[12] = 63
    s_lat, s_lon = destination(lat0, lon0, 90.0, 500.0)
    tr = tracks_of(time=np.concatenate([t, [0.0, 300.0]]), mmsi=[1] * n + [2, 2],
                   lat=np.concatenate([lat, [s_lat] * 2]), lon=np.concatenate([lon, [s_lon] * 2]),
                   sog=[10.0] * n + [0.0, 0.0], cog=[0.0] * n + [90.0, 90.0],
                   second=np.concatenate([second, [0, 0]]), accuracy=[1] * (n + 2), raim=[1] * n + [0, 0])
    vessels = pd.DataFrame({"mmsi": [2], "ship_type": [40]})
    F = features(tr, vessels)
    assert list(F.columns) == FEATURES and F.index.equals(tr.index)
    assert np.isfinite(F.to_numpy()).all()
    one = F[tr.mmsi == 1].reset_index(drop=True)
    # The displaced fix opens a segment: measured from the previous fix in raw order, minus 10 kn * 10 s.
    expected = haversine_m(lat[9], lon[9], lat10, lon10) - 10 * KNOT_MS * 10
    assert one.jump_excess_m[10] == pytest.approx(expected, rel=1e-6)
    assert one.jump_excess_m.drop(10).max() < 1.0  # the return to the true track joins the old segment
    # Over a >= 60 s baseline the speeds agree (the displaced fix is in its own segment).
    assert one.speed_diff_kn.max() < 0.01 and one.speed_log_ratio.abs().max() < 1e-3
    assert one.course_err_deg.max() < 0.01
    assert (one.speed_diff_kn[:6] == 0).all() and one.speed_diff_kn[6:].gt(0).any()  # first minute: neutral
    assert one.pos_unavailable[12] == 1 and one.pos_unavailable.drop(12).eq(0).all()
    assert one.second_class[12] == 4 and one.second_class.drop(12).eq(0).all()
    assert one.log_gap_s[1] == pytest.approx(np.log1p(10.0))
    assert one.log_gap_s[0] == pytest.approx(np.log1p(model.NOMINAL_GAP_S))  # neutral
    # Nearest other vessel in the same UTC minute: ship 2's only fix there is 500 m from ship 1's
    # first; ship 2 sees ship 1's last fix of that minute (t = 50 s, 257 m further north).
    two = F[tr.mmsi == 2].reset_index(drop=True)
    assert np.expm1(one.log_nearest_other_m[0]) == pytest.approx(500.0, rel=1e-3)
    assert np.expm1(two.log_nearest_other_m[0]) == pytest.approx(np.hypot(500.0, 50 * 10 * KNOT_MS), rel=1e-3)
    assert two.log_nearest_other_m[1] == pytest.approx(np.log1p(model.NEAREST_CAP_M))  # nobody in its minute
    # Ship 1's degraded report sits in ship 2's cell and window: 1 of ship 2's 1 neighbours is degraded.
    assert (two.cell_degraded_share == 1.0).all() and one.cell_degraded_share.max() == 0.0
    assert (two.fast_craft == 1).all() and (one.fast_craft == 0).all()
    assert (two.raim_in_use == 0).all() and (one.raim_in_use == 1).all()


def test_shared_mmsi_is_not_a_jump_but_a_teleport_is():
    # Two ships 30 km apart under one MMSI, reports interleaved for 20 min.
    n = 60
    t = 20.0 * np.arange(n)
    lat_a, lon_a = destination(np.full(n, 55.5), np.full(n, 18.0), np.zeros(n), 12 * KNOT_MS * t)
    lat_b, lon_b = destination(np.full(n, 55.5), np.full(n, 18.5), np.full(n, 180.0), 12 * KNOT_MS * t)
    first = np.arange(n) % 2 == 0
    tr = tracks_of(time=t, mmsi=[7] * n, lat=np.where(first, lat_a, lat_b), lon=np.where(first, lon_a, lon_b),
                   sog=[12.0] * n, cog=np.where(first, 0.0, 180.0))
    jump = features(tr).jump_excess_m.to_numpy()
    assert tr.segment.nunique() == 2
    assert jump[1] > 25_000  # the second ship's first report: its segment opens with a jump
    assert np.abs(jump[2:]).max() < 1.0  # afterwards each ship continues its own segment


def test_features_need_tracks():
    with pytest.raises(ValueError, match="build_tracks"):
        features(clean_positions(2, 60, seed=0))


# --- estimator conventions --------------------------------------------------------------------------


def test_estimator_conventions(clean_a):
    est = InterferenceForest(n_estimators=50, calibration_quantile=0.99)
    params = est.get_params()
    assert params == {"n_estimators": 50, "max_samples": 256, "calibration_quantile": 0.99,
                      "random_state": 0, "n_jobs": None}
    assert est.set_params(max_samples=128) is est and est.max_samples == 128
    c = clone(est)
    assert c is not est and c.get_params() == est.get_params()
    X = features(clean_a.head(2000))
    for call in (est.score_samples, est.predict, est.feature_contributions):
        with pytest.raises(NotFittedError):
            call(X)
    assert est.fit(X) is est
    assert est.forest_.n_estimators == 50 and list(est.feature_names_in_) == FEATURES
    with pytest.raises(NotFittedError):
        clone(est).predict(X)  # clone drops the fitted state
    with pytest.raises(ValueError, match="calibration_quantile"):
        InterferenceForest(calibration_quantile=1.0).fit(X)


def test_fit_accepts_tracks_or_features(clean_a):
    tr = clean_a.head(3000)
    a = InterferenceForest(n_estimators=30).fit(tr).score_samples(tr)
    b = InterferenceForest(n_estimators=30).fit(features(tr)).score_samples(features(tr))
    np.testing.assert_array_equal(a, b)


def test_determinism(clean_a):
    X = features(clean_a.head(5000))
    s1 = InterferenceForest(n_estimators=50, random_state=3).fit(X).score_samples(X)
    s2 = InterferenceForest(n_estimators=50, random_state=3).fit(X).score_samples(X)
    s3 = InterferenceForest(n_estimators=50, random_state=4).fit(X).score_samples(X)
    np.testing.assert_array_equal(s1, s2)
    assert not np.array_equal(s1, s3)
    np.testing.assert_array_equal(InterferenceForest(n_estimators=50, random_state=3).fit_score_samples(X), s1)


# --- calibration on clean traffic ------------------------------------------------------------------


def test_clean_traffic_makes_no_alerts(fitted, clean_b):
    est, X = fitted
    s = est.score_samples(X)
    assert 0.0 <= s.min() and s.max() <= 1.0
    assert est.predict(X).mean() <= 0.001  # by construction on the fitting data
    assert np.median(s) < 0.1  # typical reports score low, not "half anomalous"
    # Unseen clean traffic: about the calibrated share (0.1 %), where an IsolationForest with
    # a fixed contamination flags that share of whatever it is given.
    other = est.score_samples(clean_b)
    assert (other >= est.threshold_).mean() <= 0.003
    plain = IsolationForest(contamination=0.01, random_state=0).fit(X)
    assert (plain.predict(clean_b) == -1).mean() > 0.005
    # Forest alone, no rule fired: never an alert, on either data set.
    for scores in (s, other):
        assert combine(np.zeros(len(scores)), scores, np.zeros(len(scores), int)).max() < ALERT_THRESHOLD


# --- injected anomalies -----------------------------------------------------------------------------


def _check_ranking(scores: np.ndarray, tr: pd.DataFrame, contributions: pd.DataFrame) -> None:
    hit = affected(tr)
    order = np.argsort(-scores, kind="stable")
    assert hit[order[: hit.sum()]].mean() >= 0.9  # the top of the ranking is the injected reports
    teleport = (tr.kind == "teleport").to_numpy()
    assert scores[teleport].min() > scores[~hit].max()
    assert (scores[teleport] > FOREST_THRESHOLD).all()
    assert (contributions.feature_1[teleport] == "jump_excess_m").all()
    # Speed rows with a full baseline of overstated SOG: a speed feature drives them.
    speed = tr[tr.kind == "speed"]
    full = speed.groupby("mmsi")["time"].transform(lambda x: x - x.min()) >= pd.Timedelta(seconds=BASELINE_S)
    named = contributions.feature_1[speed.index[full.to_numpy()]]
    assert len(named) >= 20 and named.isin(["speed_diff_kn", "speed_log_ratio"]).all()
    assert (scores[speed.index[full.to_numpy()]] > FOREST_THRESHOLD).all()


def test_injected_anomalies_rank_first_against_a_clean_baseline(fitted, injected):
    est, _ = fitted
    X = features(injected)
    _check_ranking(est.score_samples(X), injected, est.feature_contributions(X))


def test_injected_anomalies_rank_first_fitted_on_the_data_itself(injected):
    # Fitted on the analysed traffic, with the reports the rules would flag kept out of calibration.
    X = features(injected)
    est = InterferenceForest()
    scores = est.fit_score_samples(X, clean=~affected(injected))
    _check_ranking(scores, injected, est.feature_contributions(X))


def test_forest_combines_what_single_features_do_not(fitted):
    # Four kinematic features at their clean 98.5th percentile, each alone unremarkable, together
    # unusual: the isolation part scores the combination well above any one of them.
    est, X = fitted
    row = X.median().to_frame().T
    odd = row.copy()
    singles = []
    for f in ("turn_rate_deg_s", "course_err_deg", "speed_diff_kn", "jump_excess_m"):
        one = row.copy()
        one[f] = odd[f] = X[f].quantile(0.985)
        singles.append(est.score_samples(one)[0])
    joint = est.score_samples(odd)[0]
    assert joint > 2 * max(singles)
    assert joint > np.quantile(est.score_samples(X), 0.95)
    assert est.score_samples(row)[0] < 0.05


# --- simulated scenario -----------------------------------------------------------------------------


def _scenario(out_dir, interference: bool) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Tracks, features and written files of a 30-vessel, 1 h simulated scenario (seed 3)."""
    from gnss_watch.simulate import simulate

    files = simulate(seed=3, out_dir=out_dir, vessels=30, hours=1, interference=interference)
    ds = read(str(files["nmea"]))
    tr = build_tracks(ds.positions, TrackConfig())
    return tr, features(tr, ds.vessels), files


def test_simulated_scenario(tmp_path):
    # Fitted on a clean scenario: no alerts on it; on the same fleet with interference, clean
    # reports stay below the threshold while teleported or displaced reports go above it.
    _, Xc, _ = _scenario(tmp_path / "clean", interference=False)
    est = InterferenceForest().fit(Xc)
    sc = est.score_samples(Xc)
    assert est.predict(Xc).mean() <= 0.001
    assert combine(np.zeros(len(sc)), sc, np.zeros(len(sc), int)).max() < ALERT_THRESHOLD

    tr, X, files = _scenario(tmp_path / "interference", interference=True)
    s = est.score_samples(X)
    labels = pd.read_csv(files["labels"], keep_default_na=False)
    labels["time"] = pd.to_datetime(labels["time"], utc=True).astype("datetime64[ns, UTC]")
    got = pd.merge_asof(tr[["time", "mmsi"]].assign(row=np.arange(len(tr))).sort_values("time"),
                        labels[["time", "mmsi", "label", "event_id"]].sort_values("time"), on="time", by="mmsi",
                        tolerance=pd.Timedelta(seconds=5), direction="nearest").sort_values("row")
    clean = (got["label"] == "clean").to_numpy()
    spoofed = (got["label"] == "spoofed").to_numpy()
    assert clean.sum() > 1000 and spoofed.any()
    assert (s[clean] >= est.threshold_).mean() <= 0.003
    assert s[spoofed].mean() > 3 * s[clean].mean()
    kinds = {e["event_id"]: e["kind"] for e in json.loads(files["truth"].read_text())["spoofing_events"]}
    jumps = got["event_id"].map(kinds).isin(["teleport", "displacement"]).to_numpy()
    if jumps.any():
        assert np.median(s[jumps]) >= est.threshold_


# --- persistence ------------------------------------------------------------------------------------


def test_save_load_roundtrip(fitted, tmp_path, monkeypatch):
    est, X = fitted
    X = X.head(5000)
    path = tmp_path / "forest.joblib"
    est.save(path)
    back = InterferenceForest.load(path)
    np.testing.assert_array_equal(back.score_samples(X), est.score_samples(X))
    pd.testing.assert_frame_equal(back.feature_contributions(X), est.feature_contributions(X))
    assert back.get_params() == est.get_params()
    monkeypatch.setattr(model, "FEATURES", FEATURES[:-1])
    with pytest.raises(ValueError, match="features"):
        InterferenceForest.load(path)
    monkeypatch.undo()
    monkeypatch.setattr(sklearn, "__version__", "0.0")
    with pytest.raises(ValueError, match="scikit-learn 0.0|scikit-learn"):
        InterferenceForest.load(path)
    monkeypatch.undo()
    other = tmp_path / "other.joblib"
    import joblib

    joblib.dump({"model": "not a forest"}, other)
    with pytest.raises(ValueError, match="not a gnss-watch forest"):
        InterferenceForest.load(other)


# --- combine ----------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(r=st.floats(0, 1), f=st.floats(0, 1), k=st.integers(0, 5))
def test_combine_properties(r, f, k):
    s = combine(np.array([r if k else 0.0]), np.array([f]), np.array([k]))[0]
    assert 0.0 <= s <= 1.0
    if k == 0:
        assert s < ALERT_THRESHOLD  # the forest alone never alerts
    else:
        assert s >= r - 1e-12  # the forest never lowers the rules' verdict...
        if k == 1 and r < ALERT_THRESHOLD:
            assert s < ALERT_THRESHOLD  # ...nor turns one weak hit into an alert


def test_combine_cases():
    f = np.array([0.0, 0.3, 0.5, 0.75, 1.0])
    ones = np.ones_like(f)
    # One conclusive rule: the forest orders the reports, strictly.
    strong = combine(0.6 * ones, f, ones.astype(int))
    assert (strong >= 0.6).all() and (np.diff(strong) > 0).all()
    # Two weak rules: an alert only with forest support beyond its clean threshold.
    weak2 = combine(0.3 * ones, f, 2 * ones.astype(int))
    assert (weak2[f <= FOREST_THRESHOLD] < ALERT_THRESHOLD).all()
    assert weak2[-1] >= ALERT_THRESHOLD and weak2[-2] >= ALERT_THRESHOLD
    # One weak rule: lifted, but not to an alert.
    weak1 = combine(0.3 * ones, f, ones.astype(int))
    assert weak1[-1] > 0.3 and (weak1 < ALERT_THRESHOLD).all()
    # No rule: at most SUB_ALERT_CAP, zero unless beyond the forest's threshold.
    none = combine(np.zeros_like(f), f, np.zeros_like(f, dtype=int))
    assert (none[f <= FOREST_THRESHOLD] == 0).all() and none.max() <= model.SUB_ALERT_CAP


if __name__ == "__main__":
    tr = build_tracks(clean_positions(520, 3600, seed=0), TrackConfig())
    features(tr.head(10))  # build the land caches once (a per-process cost, ~2 s)

    def timed(fn):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        return out, time.perf_counter() - w, time.process_time() - c

    X, w1, c1 = timed(lambda: features(tr))
    est = InterferenceForest()
    _, w2, c2 = timed(lambda: est.fit_score_samples(X))
    _, w3, c3 = timed(lambda: est.score_samples(X))
    print(f"{len(tr):,} reports, wall (CPU) seconds: features {w1:.2f} ({c1:.2f}), "
          f"fit + score {w2:.2f} ({c2:.2f}), score alone {w3:.2f} ({c3:.2f}); "
          f"flagged {est.predict(X).mean():.3%}")
