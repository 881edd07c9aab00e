"""End-to-end replay throughput against pyais's raw decode rate on the same file, in the same run.

    python benchmarks/bench_replay.py [FILE] [--repeat N] [--copies K]
    (default: sample_data/gulf_of_finland.nmea.gz, 3 pairs, 1 copy)

Runs, each in a fresh process so peak memory is its own, alternating N times
(timings on a shared 2-core machine vary by +-20 % from run to run; each pair's
ratio is printed and the median pair is reported):

* pyais: ``pyais.decode(line)`` over every line of the (decompressed) file;
* the full ``gnss-watch replay`` pipeline (ingest, tracks, checks, forest,
  events, zones, outputs) on the same file, with per-stage timings.

Prints lines per second for both, their ratio (goal >= 0.5: analysis should
cost no more than decoding; the imports of numpy/pandas/scikit-learn/shapely
are a fixed start-up cost and are shown apart), peak RSS, and the slowest stage.

``--copies K`` replays K copies of a tag-blocked NMEA file end to end, each one's
receive times (``c:``) moved on by the file's span, to show how time and memory
grow with the input (bytes of peak RSS per line above the imports).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "sample_data" / "gulf_of_finland.nmea.gz"


def _open(path: str):
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


_TAG = re.compile(rb"^\\([^*\\]*)\*[0-9A-Fa-f]{2}\\")
_TIME = re.compile(rb"c:(\d+)")


def write_copies(path: str, copies: int, out: Path) -> None:
    """``copies`` of the NMEA file at ``path`` one after another in time (see the module docstring)."""
    with _open(path) as fh:
        lines = fh.read().splitlines()
    times = [int(m.group(1)) for line in lines if (m := _TIME.search(line[:80]))]
    if not times:
        raise SystemExit(f"{path}: --copies needs NMEA lines with tag-block receive times (c:)")
    span = max(times) - min(times) + 60
    with open(out, "wb") as fh:
        for k in range(copies):
            for line in lines:
                tag = _TAG.match(line)
                if tag and k:
                    body = _TIME.sub(lambda m: b"c:%d" % (int(m.group(1)) + k * span), tag.group(1))
                    check = 0
                    for byte in body:
                        check ^= byte
                    line = b"\\%s*%02X\\%s" % (body, check, line[tag.end():])
                fh.write(line + b"\n")


def measure(kind: str, path: str) -> dict:
    t0 = time.perf_counter()
    if kind == "pyais":
        import pyais

        n = ok = 0
        with _open(path) as fh:
            for line in fh:
                n += 1
                try:
                    pyais.decode(line)
                    ok += 1
                except Exception:  # fragments of multi-sentence messages cannot decode alone
                    pass
        out: dict = {"lines": n, "decoded": ok}
    else:
        from gnss_watch.pipeline import replay

        imported = time.perf_counter()
        import_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with tempfile.TemporaryDirectory() as tmp:
            res = replay(path, out_dir=tmp)
        out = {"lines": res.summary["lines"]["read"], "timings": res.summary["timings_s"],
               "detection": res.summary["detection"], "import_s": imported - t0,
               "import_rss_mb": import_rss}
        t0 = imported  # imports are a fixed start-up cost, reported apart
    out["seconds"] = time.perf_counter() - t0
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--phase":
        print(json.dumps(measure(sys.argv[2], sys.argv[3])))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("file", nargs="?", default=str(DEFAULT))
    ap.add_argument("--repeat", type=int, default=3, help="pairs of runs (pyais, replay); the median is reported")
    ap.add_argument("--copies", type=int, default=1, help="replay this many copies of FILE, one after another in time")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file
        if args.copies > 1:
            path = str(Path(tmp) / f"{args.copies}x.nmea")
            write_copies(args.file, args.copies, Path(path))
        compare(path, args.repeat)


def compare(path: str, repeat: int) -> None:

    def run(kind: str) -> dict:
        r = subprocess.run([sys.executable, __file__, "--phase", kind, path], capture_output=True, text=True,
                           check=True)
        return json.loads(r.stdout)

    pairs = []
    for k in range(max(repeat, 1)):
        base, ours = run("pyais"), run("replay")
        ratio = (ours["lines"] / ours["seconds"]) / (base["lines"] / base["seconds"])
        pairs.append((ratio, base, ours))
        print(f"run {k + 1}: pyais {base['seconds']:.2f} s, replay {ours['seconds']:.2f} s, ratio {ratio:.2f}")
    ratio, base, ours = sorted(pairs, key=lambda p: p[0])[len(pairs) // 2]
    r_base = base["lines"] / base["seconds"]
    r_ours = ours["lines"] / ours["seconds"]
    print(f"file: {path} ({ours['lines']:,} lines); the median of {len(pairs)} runs:")
    print(f"pyais.decode per line : {r_base:>9,.0f} lines/s  {base['seconds']:6.2f} s  peak RSS "
          f"{base['peak_rss_mb']:5,.0f} MB")
    print(f"gnss-watch replay     : {r_ours:>9,.0f} lines/s  {ours['seconds']:6.2f} s  peak RSS "
          f"{ours['peak_rss_mb']:5,.0f} MB  (imports before it: {ours['import_s']:.2f} s, "
          f"{ours['import_rss_mb']:,.0f} MB)")
    above = (ours["peak_rss_mb"] - ours["import_rss_mb"]) * 2**20 / ours["lines"]
    print(f"memory                : {above:,.0f} bytes of peak RSS per line above the imports")
    print(f"ratio replay / pyais  : {ratio:.2f}  (goal >= 0.5; runs {min(p[0] for p in pairs):.2f}.."
          f"{max(p[0] for p in pairs):.2f}); with imports "
          f"{ours['lines'] / (ours['seconds'] + ours['import_s']) / r_base:.2f}")
    stages = ours["timings"]
    slow = max((k for k in stages if k not in ("elapsed",)), key=stages.get)
    print("stages (s)            : " + ", ".join(f"{k} {v:.2f}" for k, v in stages.items()))
    print(f"slowest stage         : {slow}")


if __name__ == "__main__":
    main()
