"""End to end on a scenario from the independent generator (benchmarks/alt_scenarios.py):
other waters, traffic, radio model and interference recipes than gnss_watch.simulate,
including slow pull-off spoofing that only track_divergence sees."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gnss_watch.evaluate import evaluate
from gnss_watch.replay import replay

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import alt_scenarios  # noqa: E402  (a benchmark script beside eval_scenarios, not a package)


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("alt")
    files = alt_scenarios.generate(41, out, vessels=60, hours=1.5)
    replay(str(files["nmea"]), out_dir=out / "results")
    return evaluate(files["truth"], out / "results", labels=files["labels"])


def test_every_spoof_found_pull_offs_included_and_none_false(scored: dict) -> None:
    sp = scored["spoofing"]
    assert sp["recall_by_kind"]["drift"]["n_truth"] == 2  # the scenario holds two pull-offs
    assert sp["recall_by_kind"]["drift"]["recall"] == 1.0
    assert sp["tp"] == sp["n_truth"] == 6 and sp["fp"] == 0
    assert sp["vessels"]["clean_flagged"] == 0
    # The pull-offs start where they began, not where they left the tolerance.
    drift = [e for e in sp["events"] if e["kind"] == "drift"]
    assert all(abs(e["start_error_s"]) <= 60 and abs(e["end_error_s"]) <= 60 for e in drift)


def test_its_jamming_zone_and_jammed_vessels_are_found(scored: dict) -> None:
    zones = scored["zones"]["zones"]
    assert zones and all(z["found"] and z["timing_ok"] for z in zones)
    assert scored["jammed_vessels"]["recall"] >= 0.9 and scored["jammed_vessels"]["precision"] == 1.0
