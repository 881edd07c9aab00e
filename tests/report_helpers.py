"""One small replay output directory per test session, shared by test_report.py and test_plot.py.

A 40-vessel, 1-hour simulated Gulf of Finland scenario (seed 2: spoofing
events and two jamming zones), replayed once (~2 s); three spoofed ships get
hostile names (script tag, spreadsheet formula, broken mathtext) before the
outputs are written, as an attacker would set them in AIS message 5.
"""

from __future__ import annotations

from pathlib import Path

from gnss_watch.pipeline import Results, replay, write_outputs
from gnss_watch.simulate import simulate

HOSTILE_NAMES = ("<script>alert(1)</script>", '=HYPERLINK("http://evil.example","x")', r"$\frac{$ SHIP")
_BUILT: dict[Path, tuple[Path, Results]] = {}


def replay_dir(base: Path) -> Path:
    """The replay output directory under ``base`` (built on first call in the session)."""
    return fresh_replay(base)[0]


def fresh_replay(base: Path) -> tuple[Path, Results]:
    """The output directory and the in-memory Results of the session's replay."""
    if base not in _BUILT:
        files = simulate(seed=2, out_dir=base / "scenario", vessels=40, hours=1.0)
        out = base / "replay"
        res = replay([str(files["nmea"])], out_dir=out)
        spoofed = res.events.loc[res.events["kind"] == "spoofing", "mmsi"].unique()[: len(HOSTILE_NAMES)]
        assert len(spoofed) == len(HOSTILE_NAMES), "the scenario needs three spoofed ships"
        v = res.dataset.vessels
        for mmsi, name in zip(spoofed, HOSTILE_NAMES):
            v.loc[v["mmsi"] == mmsi, "name"] = name
        write_outputs(res, out)
        _BUILT[base] = (out, res)
    return _BUILT[base]
