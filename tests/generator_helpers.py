"""A scenario of one of the independent generators in benchmarks/ (med_scenarios.py,
gulf_scenarios.py), replayed and scored, and the check that its truth is what the evaluator reads."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

from gnss_watch.evaluate import evaluate, truth_as_results
from gnss_watch.pipeline import replay

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))  # scripts, not a package


def replayed(generator: ModuleType, seed: int, out: Path) -> dict:
    """``generator.generate(seed, out)``'s files, its replay (``res``) and its scores (``scored``)."""
    files = generator.generate(seed, out)
    res = replay(str(files["nmea"]), out_dir=out / "results")
    return {"files": files, "res": res, "scored": evaluate(files["truth"], out / "results", labels=files["labels"]),
            "out": out}


def assert_truth_scores_perfectly(scenario: dict) -> None:
    """The truth written as a prediction scores perfectly: the generator's files are what evaluate reads."""
    f = scenario["files"]
    perfect = evaluate(f["truth"], truth_as_results(f["truth"], f["labels"], scenario["out"] / "truth"),
                       labels=f["labels"])
    assert perfect["spoofing"]["precision"] == perfect["spoofing"]["recall"] == 1.0
    assert all(z["found"] and z["timing_ok"] for z in perfect["zones"]["zones"])
