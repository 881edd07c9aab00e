"""False alarms on real recordings: vessels with a spoofing or jamming event, file by file.

    python benchmarks/real_false_alarms.py [DIR_OR_FILES ...]

Default: the project's shared collection of real files (``../shared/data/real``, beside the
repository, where the project keeps it); without it, the real files copied into this repository
(``sample_data/real`` and ``tests/data/nmea``), a subset.

Real public AIS files hold no known interference, so every spoofing event on
them is a false alarm to explain (or a real oddity: a broken GNSS receiver, a
transponder configured with a wrong position). Prints per file the line
accounting (lines read, used, skipped by reason), the vessels, the vessels with
a spoofing event and their share, the vessels with a jamming event (a lost or
held fix: on these recordings a faulty receiver, not a jammer) and the jamming
zones, then each spoofing event with its reasons. Files that are not AIS, or that cannot be dated, are listed as such.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gnss_watch.ingest import IngestError
from gnss_watch.pipeline import replay

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "real"
IN_REPO = [ROOT / "sample_data" / "real", ROOT / "tests" / "data" / "nmea"]
NOT_AIS = {".geojson", ".md"}


def files(args: list[str]) -> list[Path]:
    if not args and not SHARED.is_dir():
        print(f"{SHARED} not found: the real files in this repository instead")
    paths = [Path(a) for a in args] or ([SHARED] if SHARED.is_dir() else IN_REPO)
    out: list[Path] = []
    for p in paths:
        out += sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
    return [f for f in out if f.suffix not in NOT_AIS and f.name not in ("stats.json", "ne_50m_land.json")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", metavar="DIR_OR_FILE",
                    help=f"AIS files, or folders of them (default: {SHARED} if there, else the real files in this "
                         "repository)")
    total_v = total_s = total_j = total_z = 0
    for f in files(ap.parse_args().paths):
        try:
            res = replay(str(f), out_dir=None)
        except IngestError as exc:
            print(f"{f.name}: skipped: {exc}")
            continue
        ev = res.events[res.events["kind"] == "spoofing"]
        n_v = res.summary["vessels"]
        n_s = ev["mmsi"].nunique()
        n_j = res.events.loc[res.events["kind"] == "jamming", "mmsi"].nunique()
        n_z = len(res.zones)
        total_v += n_v
        total_s += n_s
        total_j += n_j
        total_z += n_z
        lines = res.summary["lines"]
        skipped = ", ".join(f"{k} {v:,}" for k, v in sorted(lines["skipped"].items())) or "none"
        print(f"{f.name}: {lines['read']:,} lines, {lines['used']:,} used, skipped: {skipped}; "
              f"{n_v} vessels, {n_s} with a spoofing event ({100 * n_s / max(n_v, 1):.2f} %), "
              f"{n_j} with a jamming event, {n_z} jamming zones")
        names = res.dataset.vessels.set_index("mmsi")["name"] if len(res.dataset.vessels) else {}
        for _, e in ev.iterrows():
            name = names.get(e["mmsi"], "") if len(names) else ""
            print(f"    {e['event_id']} mmsi {e['mmsi']} {name!s:20.20} {e['start']} .. {e['end']} "
                  f"n={e['n_reports']} at {e['lat']:.4f}N {e['lon']:.4f}E: {e['reasons']}")
    print(f"all files: {total_v} vessels, {total_s} with a spoofing event "
          f"({100 * total_s / max(total_v, 1):.2f} %), {total_j} with a jamming event "
          f"({100 * total_j / max(total_v, 1):.2f} %), {total_z} jamming zones")


if __name__ == "__main__":
    main()
