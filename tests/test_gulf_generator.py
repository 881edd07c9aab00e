"""End to end on a scenario from the fourth generator (benchmarks/gulf_scenarios.py, the Strait of
Hormuz, written without reading the detector or the other generators): receptions as USCG NAIS lines
(``!AIVDM...*hh,rSTATION,EPOCH``), 0.1 % of sentences corrupted, receivers that degrade before
they lose the fix, Class B boats at their stations' range."""

from __future__ import annotations

import gzip
from functools import reduce

import pytest
from generator_helpers import assert_truth_scores_perfectly, replayed

import gulf_scenarios  # noqa: E402  (a benchmark script: generator_helpers puts benchmarks/ on the path)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict:
    # Seed 1, a development seed of the generator: its file is in the USCG format.
    return replayed(gulf_scenarios, 1, tmp_path_factory.mktemp("gulf"))


def test_its_truth_is_well_formed(scenario: dict) -> None:
    assert_truth_scores_perfectly(scenario)


def test_every_line_is_accounted_for_and_the_corrupted_ones_are_bad_checksums(scenario: dict) -> None:
    with gzip.open(scenario["files"]["nmea"], "rt", encoding="ascii") as fh:
        lines = fh.read().splitlines()
    assert all(line.startswith("!AIVDM") or line.startswith("!AIVDO") for line in lines)

    def checksum_ok(line: str) -> bool:
        body, _, rest = line[1:].partition("*")
        return f"{reduce(lambda a, c: a ^ ord(c), body, 0):02X}" == rest[:2].upper()

    acct = scenario["res"].summary["lines"]
    assert acct["read"] == len(lines) == acct["used"] + sum(acct["skipped"].values())
    assert acct["skipped"]["bad_checksum"] == sum(not checksum_ok(line) for line in lines) > 0
    # Times come from the trailing epoch, stations from the field before it.
    pos = scenario["res"].reports
    assert set(pos["time_source"].astype(str)) == {"trailing"}
    assert set(pos["station"].astype(str)) <= {"r" + s[0] for s in gulf_scenarios.STATIONS}


def test_spoofs_found_none_false_and_the_jammed_ships_too(scenario: dict) -> None:
    """The fast craft whose receiver scattered between low accuracy and dead reckoning was a
    false spoofing event before ``erratic_fix`` read it (so spoofing precision 0.947)."""
    sp = scenario["scored"]["spoofing"]
    assert sp["n_truth"] == sp["tp"] == 18 and sp["fp"] == 0
    jv = scenario["scored"]["jammed_vessels"]
    assert jv["recall"] >= 0.9 and jv["precision"] >= 0.9
    # Two of the three zones found on time; the third, crossed by three ships, is drawn about
    # them (IoU 0.19 with a disc half again as wide).
    zones = scenario["scored"]["zones"]
    assert zones["found"] >= 2 and zones["timing_ok"] >= 2
