"""Ingest throughput against pyais's raw decode rate, measured in the same run.

    python benchmarks/bench_ingest.py [--sentences 1000000] [--keep]

Builds a file of at least ``--sentences`` NMEA 4.10 tag-block lines from the
real DMA sample (``sample_data/real/dma_ais_sample.txt.gz``: every sentence of
it, re-stamped with tag blocks and shifted in time per copy so no copy is a
duplicate of another), then prints:

* pyais's raw rate: ``pyais.decode(line)`` over every line (pyais parses the
  tag block and the sentence and decodes the payload; it does not verify
  checksums, assemble multi-sentence messages across lines, deduplicate, or
  build tables), in sentences per second;
* ``gnss_watch.read`` on the same file: checksums, tag blocks, assembly,
  duplicates, accounting and the canonical DataFrames, in sentences per second;
* their ratio (goal >= 0.5) and the peak RSS of each phase (goal: below 1 GB
  per 5 million position reports: ``--sentences 5300000`` gives 5 M), each
  phase in a fresh process so one does not inflate the other's peak.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from functools import reduce
from operator import xor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "real" / "dma_ais_sample.txt.gz"


def build(path: Path, min_sentences: int) -> int:
    """Write the benchmark file; return its number of lines (one sentence each)."""
    sentences: list[tuple[int, bytes]] = []
    t = 0
    for line in gzip.open(SAMPLE).read().split(b"\n"):
        if line.startswith(b"$PGHP"):
            f = line.split(b",")
            t = int(f[6]) * 60 + int(f[7])
        elif line.startswith(b"!"):
            sentences.append((t, line.strip()))
    copies = -(-min_sentences // len(sentences))
    base = 1_717_200_000
    n = 0
    with open(path, "wb") as out:
        for k in range(copies):
            shift = base + k * 600  # copies 10 min apart: beyond the 5-min duplicate window
            lines = []
            for t, s in sentences:
                tb = b"s:%d,c:%d" % (2190040 + k % 7, shift + t)
                lines.append(b"\\%s*%02X\\%s" % (tb, reduce(xor, tb, 0), s))
            out.write(b"\n".join(lines) + b"\n")
            n += len(lines)
    return n


def _phase(kind: str, path: str) -> dict:
    """Run one measured phase in this process (called in a child)."""
    t0 = time.perf_counter()
    if kind == "pyais":
        import pyais

        ok = 0
        with open(path, "rb") as fh:
            for line in fh:
                try:
                    pyais.decode(line)
                    ok += 1
                except Exception:  # fragments of multi-sentence messages cannot decode alone
                    pass
        out = {"decoded": ok}
    else:
        from gnss_watch.ingest import read

        ds = read(path)
        out = {"positions": len(ds.positions), "accounting": ds.accounting.to_dict()}
    out["seconds"] = time.perf_counter() - t0
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def measure(kind: str, path: Path) -> dict:
    res = subprocess.run([sys.executable, __file__, "--phase", kind, str(path)], capture_output=True, text=True,
                         check=True)
    return json.loads(res.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", type=int, default=1_000_000)
    ap.add_argument("--keep", action="store_true", help="keep the generated file")
    ap.add_argument("--phase", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        print(json.dumps(_phase(*args.phase)))
        return
    tmp = Path(tempfile.mkdtemp(prefix="gnss-watch-bench-"))
    path = tmp / "bench.nmea"
    n = build(path, args.sentences)
    size = os.path.getsize(path) / 1e6
    print(f"file: {n:,} sentences, {size:.0f} MB ({path})")
    base = measure("pyais", path)
    ours = measure("read", path)
    r_base = n / base["seconds"]
    r_ours = n / ours["seconds"]
    acct = ours["accounting"]
    print(f"pyais.decode per line : {r_base:>10,.0f} sentences/s  peak RSS {base['peak_rss_mb']:>6,.0f} MB")
    print(f"gnss_watch.read       : {r_ours:>10,.0f} sentences/s  peak RSS {ours['peak_rss_mb']:>6,.0f} MB")
    print(f"ratio read / pyais    : {r_ours / r_base:.2f}  (goal >= 0.5)")
    print(f"position reports      : {ours['positions']:,} (goal: peak RSS < 1 GB per 5 M reports; measure it "
          "with --sentences 5300000)")
    print(f"accounting            : {json.dumps(acct['lines'])}")
    if not args.keep:
        path.unlink()
        tmp.rmdir()


if __name__ == "__main__":
    main()
