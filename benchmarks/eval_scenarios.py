"""Detection quality on simulated scenarios the thresholds were never tuned on.

    python benchmarks/eval_scenarios.py [--seeds 101 102 103 104 105] [--profile gulf_of_finland]
                                        [--vessels 150] [--hours 3] [--clean-seed 201]

For each seed: simulate (``gnss_watch.simulate``), replay (the full pipeline,
timed), and score against the truth (``gnss_watch.evaluate``). Prints one row
per seed -- spoofing event precision/recall, zones found (IoU >= 0.3) and on
time (10 min), jammed-vessel precision/recall, report-level precision/recall,
replay seconds -- then the clean scenario's share of vessels with a spoofing
event. Seeds 1-20 are the development range; report on seeds outside it.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from gnss_watch.evaluate import evaluate
from gnss_watch.replay import replay
from gnss_watch.simulate import FILES, simulate


def _fmt(x: float | None) -> str:
    return "  n/a" if x is None else f"{x:5.3f}"


def score(seed: int, files: dict[str, Path], out: Path) -> dict:
    """Replay a scenario's NMEA file into ``out``/results (timed) and score it against its truth."""
    t0 = time.perf_counter()
    res = replay(str(files["nmea"]), out_dir=out / "results", progress=False)
    elapsed = time.perf_counter() - t0
    ev = evaluate(files["truth"], out / "results", labels=files["labels"])
    return {"seed": seed, "elapsed": elapsed, "lines": res.summary["lines"]["read"], "eval": ev,
            "summary": res.summary}


def run(seed: int, profile: str, vessels: int, hours: float, clean: bool, work: Path) -> dict:
    out = work / f"{profile}-{seed}{'-clean' if clean else ''}"
    files = {k: out / FILES[k] for k in ("nmea", "truth", "labels")}
    if not all(f.exists() for f in files.values()):  # a scenario is a function of its seed: reuse it
        files = simulate(seed=seed, out_dir=out, vessels=vessels, hours=hours, profile=profile,
                         interference=not clean)
    return score(seed, files, out)


HEADER = ("seed  spoof P  spoof R  events  zones found/on time  jam-ves P  jam-ves R  report P  report R"
          "  lines    replay s")


def row(r: dict) -> str:
    """One seed's line of the table (see HEADER), plus a line naming missed spoofing events."""
    e = r["eval"]
    sp, zn, jv, rp = e["spoofing"], e["zones"], e["jammed_vessels"], e["reports"] or {}
    found = sum(1 for z in zn["zones"] if z["found"])
    on_time = sum(1 for z in zn["zones"] if z["found"] and z["timing_ok"])
    anyr = rp.get("any", {})
    line = (f"{r['seed']:4d}  {_fmt(sp['precision'])}    {_fmt(sp['recall'])}  {sp['tp']:>2}/{sp['n_truth']:<3}"
            f"  {found}/{len(zn['zones'])} found, {on_time} on time      {_fmt(jv['precision'])}"
            f"      {_fmt(jv['recall'])}     {_fmt(anyr.get('precision'))}     {_fmt(anyr.get('recall'))}"
            f"  {r['lines']:>7,}  {r['elapsed']:6.1f}")
    missed = [f"{x['event_id']} {x['kind']} {x['mmsi']}" for x in sp["events"] if not x["found"]]
    return line + (f"\n      missed: {'; '.join(missed)}" if missed else "")


def clean_row(r: dict) -> str:
    """The clean scenario's share of vessels with a spoofing event, and its zones."""
    d = r["summary"]["detection"]
    n = r["summary"]["vessels"]
    return (f"clean seed {r['seed']}: {d['spoofed_vessels']} of {n} vessels with a spoofing event "
            f"({100 * d['spoofed_vessels'] / max(n, 1):.2f} %), {d['jamming_zones']} jamming zones, "
            f"replay {r['elapsed']:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103, 104, 105])
    ap.add_argument("--profile", default="gulf_of_finland", choices=["gulf_of_finland", "baltic"])
    ap.add_argument("--vessels", type=int, default=150)
    ap.add_argument("--hours", type=float, default=3.0)
    ap.add_argument("--clean-seed", type=int, default=201)
    ap.add_argument("--work", type=Path, help="keep scenarios and results here, and reuse the scenarios found "
                                              "there (default: a temp dir); --vessels/--hours must match them")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="gnss-watch-eval-"))

    print(f"profile {args.profile}, {args.vessels} vessels, {args.hours} h; work dir {work}")
    print(HEADER)
    for seed in args.seeds:
        print(row(run(seed, args.profile, args.vessels, args.hours, False, work)), flush=True)
    print(clean_row(run(args.clean_seed, args.profile, args.vessels, args.hours, True, work)))

if __name__ == "__main__":
    main()
