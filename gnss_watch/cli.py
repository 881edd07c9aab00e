"""``gnss-watch``: a thin command line over the Python API.

Exit codes: 0 done; 2 bad usage or input that cannot be read as AIS (one line
on stderr, no traceback); 1 an internal error (set ``GNSS_WATCH_DEBUG=1`` for
the traceback); 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__

EPILOG = "Docs: README.md. Input formats are detected from content; gzip, bz2 and zip are read as they are."


class UsageError(Exception):
    """Bad arguments or unreadable input: exit code 2."""


def _config(path: str | None):
    from .config import Config

    if path is None:
        return Config()
    try:
        return Config.from_toml(path)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such config file") from None
    except (ValueError, OSError) as exc:  # tomllib.TOMLDecodeError is a ValueError
        raise UsageError(f"{path}: {exc}") from None


def cmd_replay(args: argparse.Namespace) -> int:
    from .replay import replay

    config = _config(args.config)
    res = replay(args.inputs, out_dir=args.out, format=args.format, config=config,
                 start=args.start, progress=not args.quiet)
    s = res.summary
    lines = s["lines"]
    skipped = ", ".join(f"{k} {v:,}" for k, v in lines["skipped"].items()) or "none"
    print(f"{lines['read']:,} lines: {lines['used']:,} used, skipped: {skipped}")
    print(f"{s['messages']['decoded']:,} messages, {s['positions']:,} position reports from {s['vessels']:,} "
          f"vessels in {s['segments']:,} track segments; {s['time_span']['start']} .. {s['time_span']['end']}")
    for w in s["warnings"]:
        print(f"warning: {w}", file=sys.stderr)
    print(f"wrote {args.out}/ in {s['elapsed_s']:.1f} s")
    if args.report:
        from .report import write_report

        print(write_report(res, args.out, top=args.top, config_note=_config_note(args.config)))
    return 0


def _config_note(path: str | None) -> str:
    return f"Configuration: {path} applied over the defaults." if path else "Configuration: defaults."


def cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report
    from .results import load_results

    if args.top < 0:
        raise UsageError("--top must be 0 or more")
    # Without --config, the configuration the replay recorded in DIR/config.toml.
    config = _config(args.config) if args.config else None
    try:
        res = load_results(args.dir, config)
    except (FileNotFoundError, ValueError, KeyError, OSError) as exc:
        raise UsageError(f"{exc}".splitlines()[0] if str(exc) else f"{args.dir}: unreadable outputs") from None
    recorded = Path(args.dir) / "config.toml"
    note = (_config_note(args.config) if args.config or not recorded.is_file()
            else f"Configuration: {recorded}, as the replay ran.")
    print(write_report(res, args.dir, top=args.top, config_note=note))
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from .simulate import simulate

    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    files = simulate(seed=args.seed, out_dir=args.out, vessels=args.vessels, hours=args.hours,
                     profile=args.profile, formats=formats, start=args.start,
                     interference=not args.clean)
    for name, path in files.items():
        print(f"{name}: {path}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate, format_table, write_evaluation

    try:
        result = evaluate(args.truth, args.results, labels=args.labels)
    except (ValueError, OSError) as exc:
        raise UsageError(str(exc)) from None
    print(format_table(result))
    out = Path(args.out) if args.out else Path(args.results) / "evaluation.json"
    write_evaluation(result, out)
    print(f"wrote {out}")
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    print(_config(args.config).to_toml(), end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gnss-watch",
        description="Find GNSS jamming and spoofing at sea from AIS ship-tracking data.",
        epilog=EPILOG,
    )
    p.add_argument("--version", action="version", version=f"gnss-watch {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    r = sub.add_parser(
        "replay", help="analyse recorded AIS files",
        description="Read AIS files (NMEA logs, DMA, NOAA or AISdb CSV, Digitraffic JSON; gzip/bz2/zip; '-' for stdin), "
                    "rebuild tracks and write the results to --out.",
        epilog="Writes positions.parquet, vessels.csv, base_stations.csv and summary.json.",
    )
    r.add_argument("inputs", nargs="+", metavar="INPUT", help="files, glob patterns, or - for stdin")
    r.add_argument("--out", required=True, metavar="DIR", help="output directory (created if missing)")
    r.add_argument("--format", default="auto", choices=["auto", "nmea", "dma", "noaa", "aisdb", "digitraffic"],
                   help="input format (default: detected per file)")
    r.add_argument("--config", metavar="FILE", help="TOML file overriding defaults (see 'gnss-watch config --show')")
    r.add_argument("--start", metavar="ISO8601",
                   help="when an NMEA file has no times at all and no base-station reports: the time it began")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress line on stderr")
    r.add_argument("--report", action="store_true", help="also write report.html and report.pdf into --out")
    r.add_argument("--top", type=int, default=10, metavar="N", help="with --report: spoofing events in the PDF")
    r.set_defaults(func=cmd_replay)

    rp = sub.add_parser(
        "report", help="write report.html and report.pdf from a replay's output directory",
        description="Plot and tabulate a 'gnss-watch replay --out DIR' directory: DIR/report.html (one "
                    "self-contained file) and DIR/report.pdf (A4).",
    )
    rp.add_argument("dir", metavar="DIR", help="output directory of 'gnss-watch replay'")
    rp.add_argument("--top", type=int, default=10, metavar="N",
                    help="spoofing events (highest score first) with a page panel in the PDF (default 10; "
                         "the HTML shows all)")
    rp.add_argument("--config", metavar="FILE", help="the TOML file the replay ran with (for the method section)")
    rp.set_defaults(func=cmd_report)

    s = sub.add_parser(
        "simulate", help="generate a Baltic AIS scenario with known interference (ground truth)",
        description="Simulate Baltic traffic with jamming zones and spoofing events; write NMEA/CSV plus "
                    "truth.json and labels.csv.",
    )
    s.add_argument("--seed", type=int, required=True, help="random seed (same seed, same bytes)")
    s.add_argument("--out", required=True, metavar="DIR", help="output directory")
    s.add_argument("--vessels", type=int, default=150, help="number of vessels (default 150)")
    s.add_argument("--hours", type=float, default=3.0, help="duration in hours (default 3)")
    s.add_argument("--profile", default="gulf_of_finland", choices=["gulf_of_finland", "baltic"],
                   help="sea area and its interference pattern")
    s.add_argument("--formats", default="nmea", metavar="LIST",
                   help="comma-separated outputs: nmea (tag blocks), pghp (DMA $PGHP times), dma (aisdk CSV)")
    s.add_argument("--start", default="2024-06-01T00:00:00Z", metavar="ISO8601", help="scenario start time")
    s.add_argument("--clean", action="store_true", help="no jamming and no spoofing (a false-alarm baseline)")
    s.set_defaults(func=cmd_simulate)

    e = sub.add_parser(
        "evaluate", help="score detection results against a scenario's truth",
        description="Compare events.csv, zones.geojson and anomalies.csv in --results with truth.json "
                    "(and labels.csv beside it); print a table and write evaluation.json.",
    )
    e.add_argument("--truth", required=True, metavar="FILE", help="truth.json from 'gnss-watch simulate'")
    e.add_argument("--results", required=True, metavar="DIR", help="output directory of 'gnss-watch replay'")
    e.add_argument("--labels", metavar="FILE", help="labels.csv (default: beside truth.json)")
    e.add_argument("--out", metavar="FILE", help="where to write evaluation.json (default: in --results)")
    e.set_defaults(func=cmd_evaluate)

    c = sub.add_parser("config", help="print the configuration (defaults, or a file applied to them)",
                       description="Print every setting with its documentation, as TOML.")
    c.add_argument("--show", action="store_true", help="print the configuration (the default action)")
    c.add_argument("--config", metavar="FILE", help="show this file applied over the defaults")
    c.set_defaults(func=cmd_config)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    func: Callable[[argparse.Namespace], int] = args.func
    from .ingest import IngestError

    try:
        return func(args)
    except (UsageError, IngestError) as exc:
        print(f"gnss-watch: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gnss-watch: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: say so in one line unless asked for the traceback
        if os.environ.get("GNSS_WATCH_DEBUG"):
            traceback.print_exc()
        else:
            print(f"gnss-watch: internal error: {type(exc).__name__}: {exc} "
                  "(set GNSS_WATCH_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1
