"""Scoring of detection outputs against a hand-made truth (gnss_watch.evaluate)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gnss_watch.evaluate import EvalConfig, evaluate, format_table, truth_as_results, write_evaluation
from gnss_watch.geo import destination

T0 = pd.Timestamp("2024-06-01T00:00:00Z")
M = {i: 230_000_000 + i for i in range(1, 10)}  # vessel MMSIs
BASE_STATION = 2_300_001
R1, R2 = 20_000.0, 10_000.0  # zone radii, metres
C1, C2 = (25.0, 59.8), (26.5, 60.0)  # zone centres (lon, lat)


def iso(minutes: float) -> str:
    return (T0 + pd.Timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def circle(lon: float, lat: float, radius_m: float, n: int = 128) -> dict:
    lat_r, lon_r = destination(lat, lon, np.linspace(0, 360, n, endpoint=False), radius_m)
    ring = np.column_stack([lon_r, lat_r]).tolist()
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


SPOOF = [  # event_id, vessel, kind, start min, end min
    ("S001", 1, "displacement", 10, 30),
    ("S002", 2, "displacement", 10, 30),
    ("S003", 3, "circle", 60, 80),
    ("S004", 4, "teleport", 120, 121),
    ("S005", 1, "fake_track", 120, 150),
]
ZONES = [  # zone_id, centre, radius, start min, end min, affected vessels
    ("J001", C1, R1, 30, 90, [5, 6]),
    ("J002", C2, R2, 120, 160, [7]),
]


@pytest.fixture
def truth_path(tmp_path: Path) -> Path:
    truth = {
        "version": 1, "seed": 1, "profile": "test", "generator": "hand",
        "start": iso(0), "end": iso(180),
        "vessels": [{"mmsi": m, "name": f"V{i}", "ship_type": 70, "device": "A", "behaviour": "transit"} for i, m in M.items()],
        "clean_mmsi": [M[8], M[9]],
        "spoofing_events": [
            {"event_id": e, "mmsi": M[v], "kind": k, "start": iso(a), "end": iso(b), "group": "G001" if k == "displacement" else None,
             "claimed_lat": 59.9, "claimed_lon": 24.9, "true_lat": 59.5, "true_lon": 24.0}
            for e, v, k, a, b in SPOOF
        ],
        "jamming_zones": [
            {"zone_id": z, "start": iso(a), "end": iso(b), "geometry": circle(*c, r), "centre": list(c), "radius_km": r / 1000,
             "affected_mmsi": [M[v] for v in vs], "base_stations": [BASE_STATION]}
            for z, c, r, a, b, vs in ZONES
        ],
    }
    path = tmp_path / "truth" / "truth.json"
    path.parent.mkdir()
    path.write_text(json.dumps(truth))

    # One report every 30 s per vessel for 3 h, labelled from the events above.
    t = T0 + pd.to_timedelta(np.arange(0, 180 * 60 + 1, 30), unit="s")
    lab = pd.DataFrame({"time": np.tile(t, len(M)), "mmsi": np.repeat(list(M.values()), len(t))})
    lab["label"], lab["event_id"], lab["zone_id"] = "clean", "", ""
    for e, v, _, a, b in SPOOF:
        sel = (lab["mmsi"] == M[v]) & lab["time"].between(T0 + pd.Timedelta(minutes=a), T0 + pd.Timedelta(minutes=b))
        lab.loc[sel, ["label", "event_id"]] = ["spoofed", e]
    for z, _, _, a, b, vs in ZONES:
        sel = lab["mmsi"].isin([M[v] for v in vs]) & lab["time"].between(T0 + pd.Timedelta(minutes=a), T0 + pd.Timedelta(minutes=b))
        lab.loc[sel, ["label", "zone_id"]] = ["jammed", z]
    lab["lat_true"], lab["lon_true"] = 59.7, 25.0
    lab["lat_reported"] = np.where(lab["label"] == "jammed", np.nan, 59.7)
    lab["lon_reported"] = np.where(lab["label"] == "jammed", np.nan, 25.0)
    lab["time"] = lab["time"].dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    lab.to_csv(path.parent / "labels.csv", index=False)
    return path


@pytest.fixture
def perfect(truth_path: Path, tmp_path: Path) -> Path:
    return truth_as_results(truth_path, truth_path.parent / "labels.csv", tmp_path / "perfect")


def edit_events(results: Path, fn) -> None:
    ev = pd.read_csv(results / "events.csv", dtype={"zone_id": str}, keep_default_na=False)
    fn(ev).to_csv(results / "events.csv", index=False)


def write_zones(results: Path, zones: list[tuple[str, dict, str, str]]) -> None:
    feats = [{"type": "Feature", "geometry": g, "properties": {"zone_id": z, "start": a, "end": b}} for z, g, a, b in zones]
    (results / "zones.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))


def test_perfect_prediction_scores_one_everywhere(truth_path: Path, perfect: Path) -> None:
    r = evaluate(truth_path, perfect)
    assert r["missing_files"] == []
    assert r["inputs"]["labels"] == str(truth_path.parent / "labels.csv")  # found beside truth.json
    sp = r["spoofing"]
    assert (sp["precision"], sp["recall"], sp["f1"]) == (1.0, 1.0, 1.0)
    assert all(k["recall"] == 1.0 for k in sp["recall_by_kind"].values())
    assert sp["vessels"]["recall"] == 1.0
    assert sp["vessels"]["false_alarm_rate_clean"] == 0.0 and sp["vessels"]["false_alarm_rate_unspoofed"] == 0.0
    assert all(e["start_error_s"] == 0 and e["end_error_s"] == 0 for e in sp["events"])
    zn = r["zones"]
    assert (zn["precision"], zn["recall"], zn["timing_ok_rate"]) == (1.0, 1.0, 1.0)
    for z in zn["zones"]:
        assert z["best_iou"] == pytest.approx(1.0, abs=1e-9)
        assert (z["start_error_s"], z["end_error_s"]) == (0.0, 0.0)
    jv = r["jammed_vessels"]
    assert (jv["precision"], jv["recall"], jv["f1"]) == (1.0, 1.0, 1.0)
    for c in ("any", "spoofed", "jammed"):
        assert (r["reports"][c]["precision"], r["reports"][c]["recall"]) == (1.0, 1.0)
    n_spoofed = sum(int((b - a) * 2) + 1 for *_, a, b in SPOOF)  # one label per 30 s, ends inclusive
    assert r["reports"]["spoofed"]["n_truth"] == n_spoofed
    assert r["bars"] == dict.fromkeys(("spoofing_recall", "spoofing_precision", "zones_on_time", "jammed_recall",
                                       "all"), True)
    assert "Quality bars" in format_table(r) and ": all met" in format_table(r)


def test_the_bars_follow_their_thresholds(truth_path: Path, perfect: Path) -> None:
    r = evaluate(truth_path, perfect, config=EvalConfig(bar_spoofing_recall=1.01))  # above any recall
    assert r["bars"]["spoofing_recall"] is False and r["bars"]["all"] is False
    assert r["bars"]["spoofing_precision"] and r["bars"]["zones_on_time"] and r["bars"]["jammed_recall"]
    assert "missed: spoofing recall" in format_table(r)


def test_empty_results_dir_scores_zero_recall(truth_path: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    r = evaluate(truth_path, empty)
    assert r["missing_files"] == ["events.csv", "zones.geojson", "anomalies.csv"]
    assert r["spoofing"]["recall"] == 0.0 and r["spoofing"]["precision"] is None and r["spoofing"]["f1"] == 0.0
    assert r["spoofing"]["fn"] == len(SPOOF)
    assert r["zones"]["recall"] == 0.0 and r["zones"]["found"] == 0
    assert all(z["start_error_s"] is None for z in r["zones"]["zones"])
    assert r["jammed_vessels"]["recall"] == 0.0
    assert r["reports"]["any"]["recall"] == 0.0 and r["reports"]["any"]["precision"] is None
    assert "Missing result files" in format_table(r)
    # Nothing predicted: no precision to fall short, every other bar missed.
    assert r["bars"] == {"spoofing_recall": False, "spoofing_precision": True, "zones_on_time": False,
                         "jammed_recall": False, "all": False}
    json.dumps(r, allow_nan=False)


def test_missing_results_dir_is_an_error(truth_path: Path, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="results directory"):
        evaluate(truth_path, tmp_path / "nope")


def test_one_missed_event_lowers_recall_by_one_over_n(truth_path: Path, perfect: Path) -> None:
    edit_events(perfect, lambda ev: ev[ev["event_id"] != "S003"])
    sp = evaluate(truth_path, perfect)["spoofing"]
    assert sp["recall"] == pytest.approx(1 - 1 / len(SPOOF))
    assert sp["precision"] == 1.0 and (sp["tp"], sp["fp"], sp["fn"]) == (4, 0, 1)
    assert sp["recall_by_kind"]["circle"] == {"n_truth": 1, "tp": 0, "fn": 1, "recall": 0.0}
    assert sp["recall_by_kind"]["displacement"]["recall"] == 1.0
    assert [e["event_id"] for e in sp["events"] if not e["found"]] == ["S003"]


def test_one_false_event_lowers_precision(truth_path: Path, perfect: Path) -> None:
    false = {"event_id": "X1", "kind": "spoofing", "mmsi": M[8], "start": iso(50), "end": iso(55)}
    edit_events(perfect, lambda ev: pd.concat([ev, pd.DataFrame([false])], ignore_index=True))
    sp = evaluate(truth_path, perfect)["spoofing"]
    assert sp["precision"] == pytest.approx(len(SPOOF) / (len(SPOOF) + 1))
    assert sp["recall"] == 1.0 and sp["fp"] == 1
    assert sp["vessels"]["clean_flagged"] == 1 and sp["vessels"]["false_alarm_rate_clean"] == 0.5
    # 5 vessels not spoofed among the 9: 5, 6, 7 (jammed) and 8, 9 (clean)
    assert sp["vessels"]["false_alarm_rate_unspoofed"] == pytest.approx(1 / 5)


def test_event_at_non_overlapping_time_is_not_a_match(truth_path: Path, perfect: Path) -> None:
    def move(ev: pd.DataFrame) -> pd.DataFrame:
        ev.loc[ev["event_id"] == "S003", ["start", "end"]] = [iso(82), iso(90)]  # truth ends at 80 min
        ev.loc[ev["event_id"] == "S001", ["start", "end"]] = [iso(30.5), iso(40)]  # 30 s late: within 60 s
        return ev

    edit_events(perfect, move)
    sp = evaluate(truth_path, perfect)["spoofing"]
    assert (sp["tp"], sp["fp"], sp["fn"]) == (4, 1, 1)
    found = {e["event_id"]: e for e in sp["events"]}
    assert not found["S003"]["found"]
    assert found["S001"]["found"] and found["S001"]["start_error_s"] == 20 * 60 + 30


def test_greedy_matching_is_one_to_one(truth_path: Path, perfect: Path) -> None:
    # Vessel 1 has S001 (10-30 min) and S005 (120-150 min); one long prediction overlaps both.
    def merge(ev: pd.DataFrame) -> pd.DataFrame:
        ev = ev[~ev["event_id"].isin(["S001", "S005"])].copy()
        long = {"event_id": "L", "kind": "spoofing", "mmsi": M[1], "start": iso(5), "end": iso(160)}
        return pd.concat([ev, pd.DataFrame([long])], ignore_index=True)

    edit_events(perfect, merge)
    sp = evaluate(truth_path, perfect)["spoofing"]
    assert (sp["tp"], sp["fp"], sp["fn"]) == (4, 0, 1)
    found = {e["event_id"]: e["pred_event_id"] for e in sp["events"] if e["found"]}
    assert found["S005"] == "L"  # 30 min overlap beats 20 min
    assert "S001" not in found


def test_zone_shifts(truth_path: Path, perfect: Path) -> None:
    lat_far, lon_far = destination(C1[1], C1[0], 90.0, 1.5 * R1)  # equal circles 1.5 r apart: IoU ~0.08
    lat_near, lon_near = destination(C1[1], C1[0], 0.0, 0.5 * R1)
    write_zones(perfect, [
        ("far", circle(float(lon_far), float(lat_far), R1), iso(30), iso(90)),
        ("near", circle(float(lon_near), float(lat_near), R1), iso(32), iso(85)),
    ])
    r = evaluate(truth_path, perfect)
    z1, z2 = r["zones"]["zones"]
    assert z1["found"] and z1["pred_zone_ids"] == ["near"]
    # Two equal circles, centres d = r/2 apart: IoU from the lens area.
    a = 2 * np.arccos(0.25) - 0.25 * np.sqrt(4 - 0.25)
    assert z1["best_iou"] == pytest.approx(a / (2 * np.pi - a), rel=5e-3)
    assert (z1["start_error_s"], z1["end_error_s"]) == (120.0, -300.0) and z1["timing_ok"]
    assert not z2["found"]
    assert r["zones"]["recall"] == 0.5 and r["zones"]["precision"] == 0.5
    assert r["zones"]["unmatched_pred_zone_ids"] == ["far"]

    write_zones(perfect, [("far", circle(float(lon_far), float(lat_far), R1), iso(30), iso(90))])
    z1 = evaluate(truth_path, perfect)["zones"]["zones"][0]
    assert not z1["found"] and 0 < z1["best_iou"] < 0.3 and z1["start_error_s"] is None

    write_zones(perfect, [("late", circle(*C1, R1), iso(45), iso(90))])  # 15 min late: found, not on time
    z1 = evaluate(truth_path, perfect)["zones"]["zones"][0]
    assert z1["found"] and z1["start_error_s"] == 900.0 and not z1["timing_ok"]

    write_zones(perfect, [("other time", circle(*C1, R1), iso(100), iso(110))])  # right place, wrong time
    assert not evaluate(truth_path, perfect)["zones"]["zones"][0]["found"]


def test_zone_split_in_time_and_space_is_found_by_union(truth_path: Path, perfect: Path) -> None:
    """Four quarter-discs in consecutive windows: each IoU 0.25 < 0.3, their union IoU 1."""
    ring = circle(*C1, R1)["coordinates"][0]  # closed: ring[-1] == ring[0]
    n = len(ring) - 1
    quarters = []
    for q in range(4):
        pts = [list(C1)] + ring[q * n // 4: (q + 1) * n // 4 + 1]
        quarters.append((f"Q{q}", {"type": "Polygon", "coordinates": [pts + [pts[0]]]}, iso(30 + 15 * q), iso(45 + 15 * q)))
    write_zones(perfect, quarters + [("elsewhere", circle(*C2, R2), iso(40), iso(50))])
    r = evaluate(truth_path, perfect)
    z1 = r["zones"]["zones"][0]
    assert z1["best_iou"] == pytest.approx(0.25, rel=1e-2)
    assert z1["union_iou"] == pytest.approx(1.0, abs=1e-6)
    assert z1["found"] and sorted(z1["pred_zone_ids"]) == ["Q0", "Q1", "Q2", "Q3"]
    assert (z1["start_error_s"], z1["end_error_s"]) == (0.0, 0.0)
    assert r["zones"]["precision"] == pytest.approx(4 / 5)


def test_zone_matching_is_one_to_one_and_prefers_the_window_each_prediction_gives(truth_path: Path, perfect: Path) -> None:
    """Two jammers at one site, one on inside the other's window: each prediction answers for one truth zone,
    the one whose window it gives, even where its disc overlaps the other a little more."""
    truth = json.loads(truth_path.read_text())
    j1 = truth["jamming_zones"][0]
    lat, lon = destination(C1[1], C1[0], 90.0, 0.3 * R1)
    truth["jamming_zones"] = [j1, {**j1, "zone_id": "J003", "start": iso(40), "end": iso(80),
                                    "geometry": circle(float(lon), float(lat), R1)}]
    # 'long' gives J001's window and overlaps J003 more; 'short' gives J003's window.
    lat_l, lon_l = destination(C1[1], C1[0], 90.0, 0.2 * R1)
    write_zones(perfect, [("long", circle(float(lon_l), float(lat_l), R1), iso(30), iso(90)),
                          ("short", circle(*C1, R1), iso(41), iso(79))])
    r = evaluate(truth, perfect)["zones"]
    z1, z3 = r["zones"]
    assert z1["best_iou"] == pytest.approx(1.0)  # 'short' is J001's own disc (and J003's poorer one)...
    assert (z1["pred_zone_ids"], z3["pred_zone_ids"]) == (["long"], ["short"])  # ...yet each takes the other
    assert z1["timing_ok"] and z3["timing_ok"] and r["precision"] == 1.0

    # One prediction merging both finds one of them (on time for J001), not both.
    write_zones(perfect, [("merged", circle(*C1, R1), iso(30), iso(90))])
    z1, z3 = evaluate(truth, perfect)["zones"]["zones"]
    assert z1["found"] and z1["timing_ok"] and not z3["found"] and z3["best_iou"] >= 0.3


def test_each_truth_zone_says_which_zones_shared_its_place_and_time(truth_path: Path, perfect: Path) -> None:
    truth = json.loads(truth_path.read_text())
    j1, j2 = truth["jamming_zones"]
    lat, lon = destination(C2[1], C2[0], 90.0, 1.5 * R2)  # equal discs 1.5 r apart: a lens of ~8 %
    truth["jamming_zones"] += [
        {**j1, "zone_id": "J003", "start": iso(80), "end": iso(120), "geometry": circle(*C1, R1 / 2)},  # inside J001
        {**j2, "zone_id": "J004", "start": iso(150), "end": iso(170), "geometry": circle(float(lon), float(lat), R2)},
        {**j1, "zone_id": "J005", "start": iso(95), "end": iso(100)},  # J001's place after it ended
    ]
    zones = {z["zone_id"]: z for z in evaluate(truth, perfect)["zones"]["zones"]}
    assert {k: (z["company"], z["company_zone_ids"]) for k, z in zones.items()} == {
        "J001": ("same_site", ["J003"]), "J002": ("overlapping", ["J004"]), "J003": ("same_site", ["J001", "J005"]),
        "J004": ("overlapping", ["J002"]), "J005": ("same_site", ["J003"]),
    }
    assert evaluate(truth, perfect, config=EvalConfig(same_site_share=0.05))["zones"]["zones"][1]["company"] == "same_site"
    assert "same_site (J003)" in format_table(evaluate(truth, perfect))


def test_a_truth_zone_says_whether_anything_heard_was_inside_it(truth_path: Path, perfect: Path) -> None:
    """A zone no heard ship or base station was inside while it was on left no trace in the data."""
    truth = json.loads(truth_path.read_text())
    j1, j2 = truth["jamming_zones"]
    bare = {k: v for k, v in j2.items() if k not in ("affected_mmsi", "base_stations")}
    truth["jamming_zones"] = [j1, {**j2, "zone_id": "J009", "affected_mmsi": [], "base_stations": []},
                              {**bare, "zone_id": "J010"}]
    zones = {z["zone_id"]: z["n_witnesses"] for z in evaluate(truth, perfect)["zones"]["zones"]}
    assert zones == {"J001": len(j1["affected_mmsi"]) + len(j1.get("base_stations", [])), "J009": 0, "J010": None}

def test_jammed_vessels(truth_path: Path, perfect: Path) -> None:
    extra = [
        {"event_id": "B", "kind": "jamming", "mmsi": BASE_STATION, "start": iso(30), "end": iso(40)},
        {"event_id": "C", "kind": "jamming", "mmsi": M[8], "start": iso(30), "end": iso(40)},
    ]
    edit_events(perfect, lambda ev: pd.concat([ev[ev["mmsi"] != M[7]], pd.DataFrame(extra)], ignore_index=True))
    jv = evaluate(truth_path, perfect)["jammed_vessels"]
    assert (jv["tp"], jv["fp"], jv["fn"]) == (2, 1, 1)  # base station neither tp nor fp
    assert jv["base_stations_flagged"] == 1 and jv["clean_flagged"] == 1
    assert jv["precision"] == pytest.approx(2 / 3) and jv["recall"] == pytest.approx(2 / 3)


def test_reports_kind_and_time_tolerance(truth_path: Path, perfect: Path) -> None:
    an = pd.read_csv(perfect / "anomalies.csv")
    t = pd.to_datetime(an["time"], utc=True)
    spoofed = an["kind"] == "spoofing"
    an.loc[spoofed, "kind"] = "jamming"  # right report, wrong kind
    first_jam = an.index[~spoofed][0]
    t[first_jam] += pd.Timedelta(seconds=6)  # beyond 5 s: matches no label
    an["time"] = t.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    an.loc[an.index[~spoofed][1], "time"] = (t[an.index[~spoofed][1]] + pd.Timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    an.to_csv(perfect / "anomalies.csv", index=False)
    rp = evaluate(truth_path, perfect)["reports"]
    n_sp, n_jam = int(spoofed.sum()), int((~spoofed).sum())
    assert rp["any"]["recall"] == pytest.approx((n_sp + n_jam - 1) / (n_sp + n_jam))
    assert rp["any"]["precision"] == pytest.approx((n_sp + n_jam - 1) / (n_sp + n_jam))
    assert rp["spoofed"]["recall"] == 0.0 and rp["spoofed"]["precision"] is None
    assert rp["jammed"]["recall"] == pytest.approx((n_jam - 1) / n_jam)
    assert rp["jammed"]["precision"] == pytest.approx((n_jam - 1) / (n_sp + n_jam))
    assert rp["n_unmatched_rows"] == 1


def test_truth_dict_without_labels_skips_reports(truth_path: Path, perfect: Path) -> None:
    r = evaluate(json.loads(truth_path.read_text()), perfect)
    assert r["reports"] is None and r["inputs"]["truth"] is None
    assert r["spoofing"]["f1"] == 1.0
    assert "skipped" in format_table(r)


def test_labels_named_as_the_truth_file_are_found_beside_it(truth_path: Path, perfect: Path) -> None:
    """NAME.truth.json finds NAME.labels.csv.gz beside it (the bundled sample's naming)."""
    named = truth_path.parent / "sample.truth.json"
    truth_path.rename(named)
    labels = pd.read_csv(truth_path.parent / "labels.csv")
    (truth_path.parent / "labels.csv").unlink()
    assert evaluate(named, perfect)["reports"] is None
    labels.to_csv(truth_path.parent / "sample.labels.csv.gz", index=False)
    r = evaluate(named, perfect)
    assert r["reports"]["n_labels"] == len(labels) and r["inputs"]["labels"].endswith("sample.labels.csv.gz")


def test_config_tolerance_is_used(truth_path: Path, perfect: Path) -> None:
    edit_events(perfect, lambda ev: ev.assign(start=np.where(ev["event_id"] == "S003", iso(82), ev["start"]),
                                              end=np.where(ev["event_id"] == "S003", iso(90), ev["end"])))
    assert evaluate(truth_path, perfect)["spoofing"]["fn"] == 1
    assert evaluate(truth_path, perfect, config=EvalConfig(event_time_tolerance_s=180.0))["spoofing"]["fn"] == 0


def test_format_table_shows_key_numbers(truth_path: Path, perfect: Path) -> None:
    edit_events(perfect, lambda ev: ev[ev["event_id"] != "S003"])
    text = format_table(evaluate(truth_path, perfect))
    assert "0.800" in text  # spoofing recall 4/5
    assert "J001" in text and "J002" in text
    for header in ("Spoofing events", "Jamming zones", "Jammed vessels", "Reports"):
        assert header in text
    circle_row = next(line for line in text.splitlines() if line.strip().startswith("circle"))
    assert circle_row.split()[1:] == ["1", "0", "0.000"]


def test_write_evaluation_is_atomic_json(truth_path: Path, perfect: Path, tmp_path: Path) -> None:
    r = evaluate(truth_path, perfect)
    out = tmp_path / "eval"
    out.mkdir()
    path = write_evaluation(r, out / "evaluation.json")
    assert json.loads(path.read_text()) == json.loads(json.dumps(r))
    assert [p.name for p in out.iterdir()] == ["evaluation.json"]
    with pytest.raises(ValueError):  # NaN is not JSON: nothing replaced, no temp file left
        write_evaluation({"x": float("nan")}, out / "evaluation.json")
    assert [p.name for p in out.iterdir()] == ["evaluation.json"]
    assert json.loads(path.read_text())["spoofing"]["f1"] == 1.0


@pytest.mark.parametrize(
    "name, text, match",
    [
        ("events.csv", "event_id,kind,mmsi,start,end\nA,spoofing,1,2024-06-01T00:00:00Z,2024-06-01T00:01:00Z\n"
                       "B,spoofing,2,yesterday,2024-06-01T00:01:00Z\n", r"events\.csv: line 3: column 'start'"),
        ("events.csv", "kind,mmsi,start,end\nspoof,1,2024-06-01T00:00:00Z,2024-06-01T00:01:00Z\n", r"line 2: column 'kind'"),
        ("events.csv", "kind,mmsi,start,end\nspoofing,1,2024-06-01T00:02:00Z,2024-06-01T00:01:00Z\n", r"line 2: column 'end'"),
        ("events.csv", "kind,mmsi,start\nspoofing,1,2024-06-01T00:02:00Z\n", r"events\.csv: missing column\(s\) end"),
        ("anomalies.csv", "time,mmsi,kind\n2024-06-01T00:00:00Z,12.5,jamming\n", r"anomalies\.csv: line 2: column 'mmsi'"),
        ("zones.geojson", "{not json", r"zones\.geojson: not valid JSON"),
        ("zones.geojson", json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": {}}]}),
         r"zones\.geojson: feature 0"),
    ],
)
def test_malformed_files_raise_clear_errors(truth_path: Path, tmp_path: Path, name: str, text: str, match: str) -> None:
    res = tmp_path / "bad"
    res.mkdir()
    (res / name).write_text(text)
    with pytest.raises(ValueError, match=match):
        evaluate(truth_path, res)
