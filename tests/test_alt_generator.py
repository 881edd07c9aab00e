"""End to end on a scenario from the independent generator (benchmarks/alt_scenarios.py):
other waters, traffic, radio model and interference recipes than gnss_watch.simulate,
including slow pull-off spoofing that only track_divergence sees; and one in the Black Sea."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from gnss_watch.evaluate import evaluate
from gnss_watch.pipeline import replay

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


def test_receivers_dead_reckoning_without_second_62_are_jammed(tmp_path: Path) -> None:
    """The same scenario with the dead-reckoning receivers keeping their normal UTC second:
    only their exact motion tells (jammed-vessel recall 0.44 before that was read)."""
    files = alt_scenarios.generate(41, tmp_path, vessels=60, hours=1.5, dr_silent=True)
    res = replay(str(files["nmea"]), out_dir=tmp_path / "results")
    scored = evaluate(files["truth"], tmp_path / "results", labels=files["labels"])
    assert scored["jammed_vessels"]["recall"] >= 0.9 and scored["jammed_vessels"]["precision"] == 1.0
    assert scored["spoofing"]["fp"] == 0
    reckoned = res.reports.loc[res.reports["dead_reckoning"], "second"]
    assert len(reckoned) and (reckoned != 62).all()


@pytest.fixture(scope="module")
def black_sea(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("alt_black_sea")
    files = alt_scenarios.generate(49, out, vessels=90, hours=1.5, waters="black_sea")
    replay(str(files["nmea"]), out_dir=out / "results")
    return evaluate(files["truth"], out / "results", labels=files["labels"])


def test_outside_the_shipped_land_coastal_stations_flag_no_ship_they_could_hear(black_sea: dict) -> None:
    """The Black Sea: no land check, and stations whose positions are learned from a sea-side
    crescent of traffic up to 80 NM out (a receiver_range from their median flagged 3 ships)."""
    sp = black_sea["spoofing"]
    assert sp["tp"] == sp["n_truth"] == 7 and sp["fp"] == 0
    assert sp["vessels"]["clean_flagged"] == 0
    zones = black_sea["zones"]["zones"]
    assert len(zones) == 1 and zones[0]["found"] and zones[0]["timing_ok"]
    assert black_sea["jammed_vessels"]["recall"] >= 0.9


def test_thinned_reports_as_type_27_carry_its_resolution(tmp_path: Path) -> None:
    """The benchmarks' --long-range: Class A reports as type 27 (1/10 minute, whole knots and
    degrees, no heading or second); Class B ones untouched; COG 359.7 becomes 0, not 'not available'."""
    from eval_scenarios import thinned_csv
    from nmea_helpers import position, tag

    lines = [tag(position(230000001, 59.90012, 24.00071 + k * 1e-3, speed=12.4, course=359.7, heading=1, second=k),
                 c=1717200000 + 180 * k) for k in range(3)]
    lines.append(tag(position(230000002, 59.8, 24.1, msg_type=18, speed=6.3, course=10.2), c=1717200001))
    src = tmp_path / "s.nmea"
    src.write_text("\n".join(lines) + "\n")
    out = pd.read_csv(thinned_csv(src, 180, tmp_path / "t.csv", long_range=True)).sort_values(["mmsi", "timestamp"])
    a, b = out[out["mmsi"] == 230000001], out[out["mmsi"] == 230000002].iloc[0]
    assert len(a) == 3 and (a["msg_type"] == 27).all() and (a[["heading", "second"]] == [511, 60]).all().all()
    assert ((a[["lat", "lon"]] * 600).round(6) % 1 == 0).all().all()  # whole tenths of a minute
    assert a["lat"].iloc[0] == pytest.approx(round(59.90012 * 600) / 600)
    assert (a["sog"] == 12).all() and (a["cog"] == 0).all()
    assert b["msg_type"] == 18 and b["sog"] == pytest.approx(6.3) and b["lat"] == pytest.approx(59.8, abs=1e-6)
