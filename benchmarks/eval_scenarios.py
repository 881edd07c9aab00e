"""Detection quality on simulated scenarios the thresholds were never tuned on.

    python benchmarks/eval_scenarios.py [--seeds 101 102 103 104 105] [--profile gulf_of_finland]
                                        [--vessels 150] [--hours 3] [--clean-seed 201] [--thin-s K [--long-range]]

For each seed: simulate (``gnss_watch.simulate``), replay (the full pipeline,
timed), and score against the truth (``gnss_watch.evaluate``). Prints one row
per seed -- spoofing event precision/recall, zones found (IoU >= 0.3) and on
time (10 min), jammed-vessel precision/recall, report-level precision/recall,
replay seconds -- and the truth zones that missed a bar, with the company they
kept (alone, overlapping another zone active at the same time, or at the same
site as one: see ``gnss_watch.evaluate``); then zones on time by company, and
the clean scenario's share of vessels with a spoofing event. Seeds 1-20 are the
development range; report on seeds outside it.

``--thin-s K`` replays each scenario thinned to the first position report of each
vessel (MMSI and 0.5-degree cell) in every K-second bin (as satellite AIS or a thinned export would give it),
written as a decoded CSV (static and base-station messages are left out), to see
how detection holds at a sparser reporting rate.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from gnss_watch.evaluate import evaluate
from gnss_watch.ingest import read
from gnss_watch.pipeline import replay
from gnss_watch.schema import iso_utc_series, unix_seconds
from gnss_watch.simulate import FILES, simulate


def _fmt(x: float | None) -> str:
    return "  n/a" if x is None else f"{x:5.3f}"


def thinned_csv(nmea: Path, every_s: float, path: Path, long_range: bool = False) -> Path:
    """``nmea``'s position reports, the first of each vessel in every ``every_s``-second bin, as a decoded CSV.

    A vessel is an MMSI within one 0.5-degree cell (no fix: a cell of its own), so two ships sharing an MMSI
    far apart are each thinned, as a sparse receiver would still hear both. ``long_range``: Class A reports
    become type 27 as a satellite hears them (ITU-R M.1371: positions in 1/10 minute, SOG and COG in whole
    knots and degrees, no heading, no UTC second).
    """
    p = read(str(nmea)).positions
    key = p.assign(bin=np.floor(unix_seconds(p["time"]) / every_s), cy=np.floor(p["lat"] / 0.5).fillna(-999),
                   cx=np.floor(p["lon"] / 0.5).fillna(-999))
    p = p[~key.duplicated(["mmsi", "bin", "cy", "cx"])]
    out = p[["mmsi", "lat", "lon", "sog", "cog", "heading", "second", "accuracy", "raim", "msg_type"]].copy()
    out.insert(1, "timestamp", iso_utc_series(p["time"]))
    out["lat"], out["lon"] = out["lat"].fillna(91.0), out["lon"].fillna(181.0)  # AIS 'not available'
    if long_range:
        a = out["msg_type"].isin([1, 2, 3]).to_numpy()
        fix = a & (out["lat"] <= 90).to_numpy()
        out.loc[fix, ["lat", "lon"]] = np.round(out.loc[fix, ["lat", "lon"]] * 600) / 600
        out.loc[a, "sog"] = np.round(out.loc[a, "sog"]).clip(upper=62)  # 63: not available
        out.loc[a, "cog"] = np.round(out.loc[a, "cog"]) % 360  # 360 deg would read 'not available'
        out.loc[a, ["heading", "second", "msg_type"]] = [511, 60, 27]
    out.to_csv(path, index=False)
    return path


def score(seed: int, files: dict[str, Path], out: Path, thin_s: float = 0.0, long_range: bool = False) -> dict:
    """Replay a scenario's NMEA file (or its ``thin_s`` thinned CSV, ``long_range`` as type 27) into
    ``out``/results (timed) and score it against its truth."""
    src, results = files["nmea"], out / "results"
    if thin_s > 0:
        name = f"thin{thin_s:g}{'-lr' if long_range else ''}"
        src, results = thinned_csv(src, thin_s, out / f"{name}.csv", long_range), out / f"results-{name}"
    t0 = time.perf_counter()
    res = replay(str(src), out_dir=results, progress=False)
    elapsed = time.perf_counter() - t0
    ev = evaluate(files["truth"], results, labels=files["labels"])
    if thin_s > 0:
        ev["reports"] = None  # the labels hold the reports thinned out too: report recall would mean nothing
    return {"seed": seed, "elapsed": elapsed, "lines": res.summary["lines"]["read"], "eval": ev,
            "summary": res.summary}


def run(seed: int, profile: str, vessels: int, hours: float, clean: bool, work: Path, thin_s: float = 0.0,
        long_range: bool = False) -> dict:
    out = work / f"{profile}-{seed}{'-clean' if clean else ''}"
    files = {k: out / FILES[k] for k in ("nmea", "truth", "labels")}
    if not all(f.exists() for f in files.values()):  # a scenario is a function of its seed: reuse it
        files = simulate(seed=seed, out_dir=out, vessels=vessels, hours=hours, profile=profile,
                         interference=not clean)
    return score(seed, files, out, thin_s, long_range)


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
    off = [_zone_miss(z) for z in zn["zones"] if not z["timing_ok"]]
    return (line + (f"\n      missed: {'; '.join(missed)}" if missed else "")
            + (f"\n      zones missing a bar: {'; '.join(off)}" if off else ""))


def _zone_miss(z: dict) -> str:
    """A truth zone not found on time: how it missed, and the company it kept (see gnss_watch.evaluate)."""
    how = (f"late (start {z['start_error_s'] / 60:+.0f} min, end {z['end_error_s'] / 60:+.0f} min)" if z["found"]
           else f"not found (IoU {max(z['best_iou'], z['union_iou']):.2f})")
    company = {"alone": "alone", "overlapping": "overlapping", "same_site": "same site as"}[z["company"]]
    unseen = {0: ", nothing heard inside it while it was on",  # a zone needs two ships (min_zone_vessels)
              1: ", one ship or station heard inside it while it was on"}.get(z.get("n_witnesses"), "")
    return f"{z['zone_id']} {how}, {company} {','.join(z['company_zone_ids'])}".rstrip() + unseen


def company_line(results: list[dict]) -> str:
    """Truth zones found on time, by the company they kept: a miss among jammers sharing one site at once
    (ships inside both stay jammed from the first switch-on to the last switch-off) differs from a lone one."""
    tally: dict[str, list[int]] = {"alone": [0, 0], "overlapping": [0, 0], "same_site": [0, 0]}
    for r in results:
        for z in r["eval"]["zones"]["zones"]:
            tally[z["company"]][0] += z["timing_ok"]
            tally[z["company"]][1] += 1
    return "zones found on time: " + ", ".join(f"{k.replace('_', ' ')} {a} of {n}" for k, (a, n) in tally.items())


def bars_line(results: list[dict]) -> str:
    """How many of the seeds met every quality bar (``gnss_watch.evaluate``'s ``bars``), and which."""
    met = [r["seed"] for r in results if r["eval"]["bars"]["all"]]
    return f"met every bar: {len(met)} of {len(results)}" + (f" ({', '.join(map(str, met))})" if met else "")


def clean_row(r: dict) -> str:
    """The clean scenario's share of vessels with a spoofing event, and its zones."""
    d = r["summary"]["detection"]
    n = r["summary"]["vessels"]
    return (f"clean seed {r['seed']}: {d['spoofed_vessels']} of {n} vessels with a spoofing event "
            f"({100 * d['spoofed_vessels'] / max(n, 1):.2f} %), {d['jamming_zones']} jamming zones, "
            f"replay {r['elapsed']:.1f} s")


def parser(doc: str, seeds: list[int], vessels: int, hours: float, clean_seed: int | None,
           thinning: bool = True) -> argparse.ArgumentParser:
    """The options every scenario benchmark shares (this one, alt_scenarios.py, med_scenarios.py,
    gulf_scenarios.py):
    seeds, fleet size, length and clean seed with the script's defaults, and (``thinning``) the
    thinned replay options; the description is the first paragraph of ``doc``."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0].replace("\n", " "))
    ap.add_argument("--seeds", type=int, nargs="+", default=seeds,
                    help="scenario seeds, one row each (pick seeds nobody has looked at: see README)")
    ap.add_argument("--vessels", type=int, default=vessels, help="vessels per scenario")
    ap.add_argument("--hours", type=float, default=hours, help="scenario length, hours")
    ap.add_argument("--clean-seed", type=int, default=clean_seed,
                    help="seed of a scenario without interference (false-alarm baseline)")
    if thinning:
        ap.add_argument("--thin-s", type=float, default=0.0,
                        help="replay each scenario thinned to one position report per vessel per this many seconds")
        ap.add_argument("--long-range", action="store_true",
                        help="with --thin-s: Class A reports as type 27 (1/10 minute positions, whole-knot SOG)")
    return ap


def parse(ap: argparse.ArgumentParser) -> argparse.Namespace:
    """``ap``'s arguments, with the thinning options checked together."""
    args = ap.parse_args()
    if getattr(args, "long_range", False) and not args.thin_s > 0:
        ap.error("--long-range needs --thin-s (type 27 is sent every 3 min: try --thin-s 180)")
    return args


def write_truth_files(out: Path, truth: dict, rows: Iterable[tuple]) -> dict[str, Path]:
    """An independent generator's ``truth.json`` and ``labels.csv``, as :mod:`gnss_watch.evaluate`
    reads them, beside its ``scenario.nmea.gz``. ``rows``: one per position report heard (time as
    ISO 8601 text, mmsi, label, event_id, zone_id, then true and reported lat, lon in degrees, NaN
    where not available). Returns the three files."""
    (out / "truth.json").write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    fmt = lambda x: "NaN" if np.isnan(x) else f"{x:.6f}".rstrip("0").rstrip(".")  # noqa: E731
    with open(out / "labels.csv", "w", encoding="utf-8") as fh:
        fh.write("time,mmsi,label,event_id,zone_id,lat_true,lon_true,lat_reported,lon_reported\n")
        for ts, mmsi, label, event_id, zone_id, *where in rows:
            fh.write(f"{ts},{mmsi},{label},{event_id},{zone_id},{','.join(fmt(x) for x in where)}\n")
    return {"nmea": out / "scenario.nmea.gz", "truth": out / "truth.json", "labels": out / "labels.csv"}


def generator_main(doc: str, generate: Callable[..., dict[str, Path]], prefix: str, vessels: int) -> None:
    """The command line of an independent generator (med_scenarios.py, gulf_scenarios.py): each
    seed's scenario generated into ``WORK/PREFIX-SEED`` (``-clean`` for the clean seed; a
    complete directory is reused) by ``generate(seed, out, vessels, hours, clean)``, replayed,
    scored and printed as this table."""
    ap = parser(doc, seeds=[1, 2], vessels=vessels, hours=3.0, clean_seed=None, thinning=False)
    ap.add_argument("--work", type=Path, default=Path(f"/tmp/{prefix}"),
                    help="keep scenarios and results here; scenarios found there are reused")
    args = parse(ap)

    def scenario(seed: int, clean: bool) -> tuple[Path, dict[str, Path]]:
        out = args.work / f"{prefix}-{seed}{'-clean' if clean else ''}"
        files = {"nmea": out / "scenario.nmea.gz", "truth": out / "truth.json", "labels": out / "labels.csv"}
        done = all(p.is_file() for p in files.values())
        return out, (files if done else generate(seed, out, args.vessels, args.hours, clean))

    results = []
    print(HEADER)
    for seed in args.seeds:
        out, files = scenario(seed, False)
        results.append(score(seed, files, out))
        print(row(results[-1]), flush=True)
    print(company_line(results))
    print(bars_line(results))
    if args.clean_seed is not None:
        out, files = scenario(args.clean_seed, True)
        print(clean_row(score(args.clean_seed, files, out)))


def main() -> None:
    ap = parser(__doc__, seeds=[101, 102, 103, 104, 105], vessels=150, hours=3.0, clean_seed=201)
    ap.add_argument("--profile", default="gulf_of_finland", choices=["gulf_of_finland", "baltic"],
                    help="the simulator's waters and traffic")
    ap.add_argument("--work", type=Path, help="keep scenarios and results here, and reuse the scenarios found "
                                              "there (default: a temp dir); --vessels/--hours must match them")
    args = parse(ap)
    work = args.work or Path(tempfile.mkdtemp(prefix="gnss-watch-eval-"))

    print(f"profile {args.profile}, {args.vessels} vessels, {args.hours} h; work dir {work}"
          + (f"; thinned to one report per vessel per {args.thin_s:g} s" if args.thin_s > 0 else "")
          + ("; Class A as type 27" if args.long_range else ""))
    print(HEADER)
    results = []
    for seed in args.seeds:
        results.append(run(seed, args.profile, args.vessels, args.hours, False, work, args.thin_s, args.long_range))
        print(row(results[-1]), flush=True)
    print(company_line(results))
    print(bars_line(results))
    print(clean_row(run(args.clean_seed, args.profile, args.vessels, args.hours, True, work, args.thin_s,
                        args.long_range)))

if __name__ == "__main__":
    main()
