"""The per-report rule score and kind (gnss_watch.detect.rule_scores) and the forest's place in it."""

import numpy as np
import pandas as pd

from gnss_watch.checks import CHECKS
from gnss_watch.config import DetectConfig
from gnss_watch.detect import rule_scores
from gnss_watch.model import ALERT_THRESHOLD, combine


def _checks(rows: list[set[str]]) -> pd.DataFrame:
    return pd.DataFrame({name: [name in r for r in rows] for name in CHECKS})


def test_conclusive_checks_alert_alone_weak_ones_do_not() -> None:
    s = DetectConfig().strengths()
    rule, n, kind = rule_scores(_checks([set(), {"impossible_jump"}, {"speed_mismatch"},
                                         {"speed_mismatch", "course_mismatch"}, {"pos_unavailable"},
                                         {"pos_unavailable", "on_land", "impossible_jump"}]), s)
    assert list(n) == [0, 1, 1, 2, 1, 3]
    assert rule[0] == 0 and rule[1] == s["impossible_jump"]
    assert rule[2] < ALERT_THRESHOLD and rule[3] == 1 - (1 - s["speed_mismatch"]) * (1 - s["course_mismatch"])
    assert list(kind) == ["other", "spoofing", "spoofing", "spoofing", "jamming", "spoofing"]
    score = combine(rule, np.zeros(len(rule)), n)
    assert list(score >= ALERT_THRESHOLD) == [False, True, False, False, True, True]


def test_a_stale_position_is_jamming_whatever_judged_it() -> None:
    """A held or dead-reckoned fix that the jump check finds far from the live track
    is the jamming that froze it, not a spoof."""
    _, _, kind = rule_scores(_checks([{"frozen_position", "impossible_jump", "on_land"},
                                      {"dead_reckoning", "circle"}, {"degraded_fix", "impossible_jump"}]),
                             DetectConfig().strengths())
    assert list(kind) == ["jamming", "jamming", "spoofing"]


def test_the_forest_alone_never_alerts() -> None:
    rule, n, _ = rule_scores(_checks([set()] * 3), DetectConfig().strengths())
    assert (combine(rule, np.array([0.0, 0.9, 1.0]), n) < ALERT_THRESHOLD).all()


def test_every_check_has_a_strength() -> None:
    assert set(DetectConfig().strengths()) == set(CHECKS)
