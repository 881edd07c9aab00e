"""End to end on a scenario from the third generator (benchmarks/med_scenarios.py, Eastern
Mediterranean, written without reading the detector or the other simulators): outside the
shipped land, ITU-R M.1371 reporting rates, four shore receivers."""

from __future__ import annotations

import pytest
from generator_helpers import assert_truth_scores_perfectly, replayed

import med_scenarios  # noqa: E402  (a benchmark script: generator_helpers puts benchmarks/ on the path)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict:
    # Seed 11: two jammers whose discs overlap, the second switching on two minutes after the
    # first switches off, so ships in the overlap stay jammed across both.
    return replayed(med_scenarios, 11, tmp_path_factory.mktemp("med"))


def test_its_truth_is_well_formed(scenario: dict) -> None:
    assert_truth_scores_perfectly(scenario)


def test_every_spoof_found_and_none_false(scenario: dict) -> None:
    sp = scenario["scored"]["spoofing"]
    assert sp["n_truth"] == 8 and sp["tp"] == 8 and sp["fp"] == 0
    assert sp["vessels"]["clean_flagged"] == 0


def test_jammers_one_after_the_other_are_two_zones_each_on_time(scenario: dict) -> None:
    """Before ships in the overlap were read as jammed by both, the first zone ran on to the
    second's end (62 minutes late)."""
    zones = scenario["scored"]["zones"]["zones"]
    assert len(zones) == 2 and all(z["found"] and z["timing_ok"] for z in zones)
    jv = scenario["scored"]["jammed_vessels"]
    assert jv["recall"] >= 0.9 and jv["precision"] == 1.0
