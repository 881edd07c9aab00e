"""Spoofs the recording did not see begin or end: scenarios cut to a window opening and closing inside spoofs.

    python benchmarks/cut_windows.py DIR [DIR ...]

Each DIR is a scenario directory as ``eval_scenarios.py --work`` and
``alt_scenarios.py --work`` keep them (``scenario.nmea.gz``, ``truth.json``,
``labels.csv``; clean seeds are skipped). The window opens at the middle of the
first spoofing event whose middle is at least 30 minutes into the scenario,
and closes at the middle of the last one whose middle is at least 30 minutes
after that and before the end (a scenario with no such pair is skipped).
Sentences are kept by their tag block's ``c:`` time; truth events and zones are clipped to the window, a zone's
affected vessels are those labelled jammed in it inside the window. The cut
scenario goes to ``DIR/cut`` and its replay to ``DIR/cut/results``. Prints per
scenario spoofing recall and precision, the events the window cuts
('straddling') and which of them were missed, and jammed-vessel recall.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from pathlib import Path

import pandas as pd

from gnss_watch.evaluate import evaluate
from gnss_watch.pipeline import replay
from gnss_watch.schema import iso_utc, unix_seconds

MARGIN_S = 1800.0
TAG_TIME = re.compile(r"c:(\d+)")


def _s(text: str) -> float:
    return pd.Timestamp(text).timestamp()


def cut(src: Path, dst: Path) -> list[str] | None:
    """Write the cut scenario; return the ids of the spoofing events the window cuts (None: no window)."""
    truth = json.loads((src / "truth.json").read_text())
    t0, t1 = _s(truth["start"]), _s(truth["end"])
    mids = sorted((_s(e["start"]) + _s(e["end"])) / 2 for e in truth["spoofing_events"])
    a = next((m for m in mids if m > t0 + MARGIN_S), None)
    b = next((m for m in reversed(mids) if a is not None and a + MARGIN_S < m < t1 - MARGIN_S), None)
    if a is None or b is None:
        return None
    dst.mkdir(parents=True, exist_ok=True)
    with gzip.open(src / "scenario.nmea.gz", "rt") as f, gzip.open(dst / "scenario.nmea.gz", "wt") as g:
        for line in f:
            m = TAG_TIME.search(line)
            c = int(m[1]) if m else None
            c = c / 1000.0 if c is not None and c > 1e11 else c  # milliseconds
            if c is not None and a <= c <= b:
                g.write(line)
    straddling = [e["event_id"] for e in truth["spoofing_events"]
                  if _s(e["start"]) < a < _s(e["end"]) or _s(e["start"]) < b < _s(e["end"])]

    def clip(items: list[dict]) -> list[dict]:
        return [dict(e, start=iso_utc(max(_s(e["start"]), a)), end=iso_utc(min(_s(e["end"]), b)))
                for e in items if _s(e["end"]) >= a and _s(e["start"]) <= b]

    labels = pd.read_csv(src / "labels.csv", low_memory=False)
    lt = unix_seconds(pd.to_datetime(labels["time"], utc=True))
    labels = labels[(lt >= a) & (lt <= b + 1)]
    labels.to_csv(dst / "labels.csv", index=False)
    jammed = labels[labels["label"] == "jammed"]
    truth.update(start=iso_utc(a), end=iso_utc(b), spoofing_events=clip(truth["spoofing_events"]),
                 jamming_zones=clip(truth["jamming_zones"]))
    for z in truth["jamming_zones"]:
        z["affected_mmsi"] = sorted(int(m) for m in jammed.loc[jammed["zone_id"].astype(str) == z["zone_id"], "mmsi"]
                                    .unique())
    (dst / "truth.json").write_text(json.dumps(truth))
    return straddling


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+", type=Path, metavar="DIR",
                    help="scenario directories kept by eval_scenarios.py / alt_scenarios.py --work")
    for src in ap.parse_args().dirs:
        if not (src / "truth.json").is_file():
            print(f"{src}: not a scenario directory (no truth.json)")
            continue
        if "clean" in src.name:
            continue
        dst = src / "cut"
        straddling = cut(src, dst)
        if straddling is None:
            print(f"{src.name}: no two spoofs far enough apart to cut inside")
            continue
        replay(str(dst / "scenario.nmea.gz"), out_dir=dst / "results", progress=False)
        e = evaluate(dst / "truth.json", dst / "results", labels=dst / "labels.csv")
        sp, jv = e["spoofing"], e["jammed_vessels"]
        missed = [x["event_id"] for x in sp["events"] if not x["found"]]
        cut_missed = [m for m in missed if m in straddling]
        print(f"{src.name}: spoofing {sp['tp']}/{sp['n_truth']} precision {sp['precision'] if sp['precision'] is None else round(sp['precision'], 2)}; "
              f"cut by the window {len(straddling)}, missed {len(cut_missed)} {' '.join(cut_missed)}; "
              f"other missed {' '.join(m for m in missed if m not in straddling) or '-'}; "
              f"jammed vessels {jv['tp']}/{jv['n_truth']}", flush=True)


if __name__ == "__main__":
    main()
