"""The whole pipeline on the bundled sample, scored against its truth, and the CLI around it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import shapely.geometry

from gnss_watch.evaluate import evaluate
from gnss_watch.replay import replay

ROOT = Path(__file__).parents[1]
SAMPLE = ROOT / "sample_data" / "gulf_of_finland.nmea.gz"
TRUTH = ROOT / "sample_data" / "gulf_of_finland.truth.json"
LABELS = ROOT / "sample_data" / "gulf_of_finland.labels.csv.gz"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, object]:
    out = tmp_path_factory.mktemp("replay")
    res = replay(str(SAMPLE), out_dir=out)
    return out, evaluate(TRUTH, out, labels=LABELS), res


def test_outputs_exist_and_follow_the_contract(run) -> None:
    out, _, res = run
    for name in ("positions.parquet", "anomalies.csv", "events.csv", "zones.geojson", "grid.csv",
                 "vessels.csv", "base_stations.csv", "summary.json"):
        assert (out / name).is_file(), name
    assert not list(out.glob(".*.tmp"))  # atomic writes leave no temporary files
    ev = pd.read_csv(out / "events.csv")
    assert list(ev.columns[:11]) == ["event_id", "kind", "mmsi", "start", "end", "n_reports", "lat", "lon",
                                     "score", "reasons", "zone_id"]
    assert set(ev["kind"]) <= {"spoofing", "jamming"}
    an = pd.read_csv(out / "anomalies.csv")
    assert list(an.columns[:7]) == ["time", "mmsi", "lat", "lon", "kind", "score", "reasons"]
    assert an["score"].between(0.5, 1.0).all()
    zones = json.loads((out / "zones.geojson").read_text())
    for f in zones["features"]:
        assert shapely.geometry.shape(f["geometry"]).is_valid
        assert {"zone_id", "start", "end", "n_vessels", "n_reports", "confidence", "centre"} <= set(f["properties"])
    summary = json.loads((out / "summary.json").read_text())
    lines = summary["lines"]
    assert lines["read"] == lines["used"] + sum(lines["skipped"].values())
    assert summary["detection"]["spoofing_events"] == int((ev["kind"] == "spoofing").sum())
    assert len(pd.read_parquet(out / "positions.parquet")) == summary["positions"]


def test_spoofing_events_meet_the_bars(run) -> None:
    _, e, _ = run
    sp = e["spoofing"]
    assert sp["recall"] >= 0.95 and sp["precision"] >= 0.90
    assert sp["vessels"]["clean_flagged"] == 0 and sp["vessels"]["unspoofed_flagged"] == 0


def test_jammed_vessels_and_reports(run) -> None:
    _, e, _ = run
    assert e["jammed_vessels"]["recall"] >= 0.9
    assert e["reports"]["any"]["precision"] >= 0.95 and e["reports"]["any"]["recall"] >= 0.9


def test_every_jamming_zone_found_on_time(run) -> None:
    # Two zones overlapping in time ~85 km apart, switched on at different times: two zones.
    _, e, _ = run
    assert all(z["found"] and z["timing_ok"] for z in e["zones"]["zones"])


def test_config_show_and_override(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "gnss_watch", "config", "--show"], capture_output=True, text=True)
    assert r.returncode == 0 and "[checks]" in r.stdout and "max_gap_s = 1800.0" in r.stdout
    cfg = tmp_path / "c.toml"
    cfg.write_text("[tracks]\nmax_gap_s = 600\n")
    r = subprocess.run([sys.executable, "-m", "gnss_watch", "config", "--config", str(cfg)], capture_output=True,
                       text=True)
    assert "max_gap_s = 600.0" in r.stdout
    cfg.write_text("[tracks]\nno_such_key = 1\n")
    r = subprocess.run([sys.executable, "-m", "gnss_watch", "replay", str(SAMPLE), "--out", str(tmp_path / "o"),
                        "--config", str(cfg)], capture_output=True, text=True)
    assert r.returncode == 2 and "no_such_key" in r.stderr and "Traceback" not in r.stderr


def test_every_subcommand_explains_itself() -> None:
    for sub in ([], ["replay"], ["simulate"], ["evaluate"], ["config"]):
        r = subprocess.run([sys.executable, "-m", "gnss_watch", *sub, "--help"], capture_output=True, text=True)
        assert r.returncode == 0 and "usage: gnss-watch" in r.stdout
