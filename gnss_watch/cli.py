"""``gnss-watch``: a thin command line over the Python API.

Exit codes: 0 done; 2 bad usage or input that cannot be read as AIS (one line
on stderr, no traceback); 1 an internal error (set ``GNSS_WATCH_DEBUG=1`` for
the traceback); 130 / 143 interrupted by SIGINT / SIGTERM (``live`` and
``serve`` stop cleanly on either and exit 0).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

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


def _writable_dir(path: str) -> None:
    """Say before any work is done when ``path`` cannot be an output directory: a file is
    in the way, or the nearest existing folder cannot be written to."""
    if not path.strip():
        raise UsageError("--out: empty; name the output directory")
    p = Path(path).absolute()
    while not os.path.lexists(p):  # (os.path: Path.exists raises where a parent cannot be searched)
        p = p.parent
    if not os.path.isdir(p):
        raise UsageError(f"--out {path}: {p} is a file, not a directory")
    # Tried, not asked: access() says yes to root almost anywhere (/proc, a read-only mount). Nothing is left behind.
    target, created = Path(path).absolute(), []
    try:
        for d in reversed([target, *target.parents]):
            if not os.path.lexists(d):
                os.mkdir(d)
                created.append(d)
        fd, probe = tempfile.mkstemp(dir=target, prefix=".gnss-watch-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"--out {path}: cannot write there ({exc.strerror or exc})") from None
    finally:
        for d in reversed(created):
            try:
                os.rmdir(d)
            except OSError:
                pass


def cmd_replay(args: argparse.Namespace) -> int:
    from .pipeline import replay

    if args.report and args.top < 0:
        raise UsageError("--top must be 0 or more")
    _writable_dir(args.out)
    config = _config(args.config)
    res = replay(args.inputs, out_dir=args.out, format=args.format, config=config,
                 start=args.start, progress=not args.quiet)
    s = res.summary
    lines = s["lines"]
    skipped = ", ".join(f"{k} {v:,}" for k, v in lines["skipped"].items()) or "none"
    print(f"{lines['read']:,} lines: {lines['used']:,} used, skipped: {skipped}")
    print(f"{s['messages']['decoded']:,} messages, {s['positions']:,} position reports from {s['vessels']:,} "
          f"vessel{'' if s['vessels'] == 1 else 's'} in {s['segments']:,} track segments; {s['time_span']['start']} .. {s['time_span']['end']}")
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
    from .results import ResultsError, load_results

    if args.top < 0:
        raise UsageError("--top must be 0 or more")
    # Without --config, the configuration the replay recorded in DIR/config.toml.
    config = _config(args.config) if args.config else None
    try:
        res = load_results(args.dir, config)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    except ResultsError as exc:  # a file of the wrong shape: the message names it and what is wrong
        raise UsageError(f"{args.dir}: unreadable replay outputs ({str(exc).splitlines()[0]})") from None
    except (ValueError, KeyError, OSError) as exc:  # a damaged file: say which directory, and why
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"{args.dir}: unreadable replay outputs ({type(exc).__name__}: {why})") from None
    recorded = Path(args.dir) / "config.toml"
    note = (_config_note(args.config) if args.config or not recorded.is_file()
            else f"Configuration: {recorded}, as the replay ran.")
    print(write_report(res, args.dir, top=args.top, config_note=note))
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from .simulate import check_arguments, simulate

    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    _writable_dir(args.out)
    try:
        check_arguments(args.vessels, args.hours, formats, args.start)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    files = simulate(seed=args.seed, out_dir=args.out, vessels=args.vessels, hours=args.hours,
                     profile=args.profile, formats=formats, start=args.start,
                     interference=not args.clean)
    for name, path in files.items():
        print(f"{name}: {path}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate, format_table, write_evaluation

    out = Path(args.out) if args.out else Path(args.results) / "evaluation.json"
    if out.is_dir():
        raise UsageError(f"--out {out}: is a directory; name the file to write")
    if args.out:
        _writable_dir(str(out.parent))
    try:
        result = evaluate(args.truth, args.results, labels=args.labels)
    except (ValueError, OSError) as exc:
        raise UsageError(str(exc)) from None
    print(format_table(result))
    write_evaluation(result, out)
    print(f"wrote {out}")
    return 0


def _host_port(value: str, default_host: str | None, flag: str, listen: bool) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep:
        host = default_host or ""
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"{flag} {value!r}: expected {'[HOST:]PORT' if default_host else 'HOST:PORT'}")
    if int(port) == 0 and not listen:  # 'any free port' is for listening: nothing serves on port 0
        raise UsageError(f"{flag} {value!r}: port 0 is not a server's port")
    return host.strip("[]"), int(port)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so outputs being written are cleaned up (no stray temp files)."""


def _terminate_as_interrupt() -> Any:
    """Make SIGTERM raise :class:`_Terminated`; return the handler it replaced (None: not replaced)."""
    import signal

    def handler(signum: int, frame: object) -> None:
        raise _Terminated

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (main() called from a test's thread): leave it
        return None


def _interrupted(exc: KeyboardInterrupt) -> int:
    print("gnss-watch: interrupted", file=sys.stderr)
    return 143 if isinstance(exc, _Terminated) else 130


def _stop_on_signals():
    """A stop flag set by SIGTERM/SIGINT: the monitor flushes its state and the command exits 0."""
    import signal
    import threading

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: stop.set())
    return stop


def cmd_live(args: argparse.Namespace) -> int:
    import json

    from .live import FollowSource, LiveMonitor, MqttSource, TcpSource, UdpSource, run
    from .live.engine import DirectoryBusy

    for flag, value in (("--window", args.window and args.window * 60.0), ("--step", args.step)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise UsageError(f"{flag} must be a positive number")
    _writable_dir(args.out)
    if args.from_start and not args.follow:
        raise UsageError("--from-start goes with --follow")
    cfg = _config(args.config)
    if args.window is not None or args.step is not None:
        changes = {"window_s": args.window * 60.0} if args.window is not None else {}
        if args.step is not None:
            changes["step_s"] = args.step
        cfg = cfg.replace(live=changes)
    lc, maxlen = cfg.live, cfg.ingest.max_line_length
    for flag, value in (("--tcp", args.tcp), ("--udp", args.udp), ("--follow", args.follow), ("--mqtt", args.mqtt)):
        if value is not None and not value.strip():
            raise UsageError(f"{flag}: empty; name the feed")
    try:
        if args.tcp:
            source = TcpSource(*_host_port(args.tcp, None, "--tcp", listen=False), lc, maxlen, once=args.exit_at_eof)
        elif args.udp:
            source = UdpSource(*_host_port(args.udp, "0.0.0.0", "--udp", listen=True), lc, maxlen)
        elif args.follow:
            if os.path.isfile(args.follow):  # (a log not there yet is waited for)
                with open(args.follow, "rb") as fh:  # a compressed log cannot be followed as it grows
                    if fh.read(2) in (b"\x1f\x8b", b"BZ", b"PK"):
                        raise UsageError(f"{args.follow}: compressed; gnss-watch replay reads recorded files")
            source = FollowSource(args.follow, lc, maxlen, once=args.exit_at_eof, from_start=args.from_start)
        else:
            source = MqttSource(args.mqtt, lc, maxlen)
    except (ValueError, OSError) as exc:
        raise UsageError(str(exc)) from None
    stop = _stop_on_signals()

    def emit(alert: dict) -> None:
        print(json.dumps(alert), flush=True)

    try:
        monitor = LiveMonitor(args.out, cfg, source=source.name, emit=emit)
    except DirectoryBusy as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:  # e.g. --out under /proc: passes the permission check, cannot be created
        raise UsageError(f"--out {args.out}: {exc.strerror or exc}") from None
    print(f"gnss-watch live: {source.name} -> {args.out}/ (window {lc.window_s / 60:g} min"
          f"{', resuming' if monitor.resumed else ''})", file=sys.stderr, flush=True)
    run(source, monitor, stop)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .ingest.sources import open_sources
    from .live.serve import serve

    if Path(args.file).is_dir():
        raise UsageError(f"{args.file}: is a directory; serve sends one recorded NMEA file")
    if not Path(args.file).is_file():
        raise UsageError(f"{args.file}: no such file")
    if not args.speed >= 0:  # (nan too)
        raise UsageError("--speed must be >= 0 (0 or inf: as fast as possible)")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: not a TCP port (0..65535)")
    for src in open_sources(args.file):  # a table or noise would go out as it is: refuse it
        if src.format != "nmea":
            raise UsageError(f"{src.name}: a {src.format} table, not an NMEA log; serve sends NMEA sentences")
    try:
        serve(args.file, args.port, host=args.host, speed=args.speed, stop=_stop_on_signals())
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc}") from None
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
        description="Read AIS files (NMEA logs, DMA, NOAA or AISdb CSV, Digitraffic JSON, decoded CSV; "
                    "gzip/bz2/zip; '-' for stdin), rebuild tracks, find spoofing and jamming, and write the "
                    "results to --out.",
        epilog="Writes anomalies.csv, events.csv, zones.geojson, grid.csv, positions.parquet, vessels.csv, "
               "base_stations.csv, config.toml and summary.json (with --report also report.html and report.pdf).",
    )
    r.add_argument("inputs", nargs="+", metavar="INPUT", help="files, glob patterns, or - for stdin")
    r.add_argument("--out", required=True, metavar="DIR", help="output directory (created if missing)")
    r.add_argument("--format", default="auto", choices=["auto", "nmea", "dma", "noaa", "aisdb", "digitraffic", "csv"],
                   help="input format (default: detected per file)")
    r.add_argument("--config", metavar="FILE", help="TOML file overriding defaults (see 'gnss-watch config --show')")
    r.add_argument("--start", metavar="ISO8601",
                   help="when an NMEA file has no times at all and no base-station reports: the time it began")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress line on stderr")
    r.add_argument("--report", action="store_true", help="also write report.html and report.pdf into --out")
    r.add_argument("--top", type=int, default=10, metavar="N", help="with --report: spoofing events (highest score first) with a page in the PDF (default 10)")
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
    rp.add_argument("--config", metavar="FILE", help="the TOML file the replay ran with, for the method section (default: DIR/config.toml)")
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
                   help="sea area and its interference pattern (default gulf_of_finland)")
    s.add_argument("--formats", default="nmea", metavar="LIST",
                   help="comma-separated outputs: nmea (tag blocks), pghp (DMA $PGHP times), dma (aisdk CSV) "
                        "(default nmea)")
    s.add_argument("--start", default="2024-06-01T00:00:00Z", metavar="ISO8601",
                   help="scenario start time (default 2024-06-01T00:00:00Z)")
    s.add_argument("--clean", action="store_true", help="no jamming and no spoofing (a false-alarm baseline)")
    s.set_defaults(func=cmd_simulate)

    e = sub.add_parser(
        "evaluate", help="score detection results against a scenario's truth",
        description="Compare events.csv, zones.geojson and anomalies.csv in --results with truth.json "
                    "(and labels.csv beside it); print a table and write evaluation.json.",
    )
    e.add_argument("--truth", required=True, metavar="FILE", help="truth.json from 'gnss-watch simulate'")
    e.add_argument("--results", required=True, metavar="DIR", help="output directory of 'gnss-watch replay'")
    e.add_argument("--labels", metavar="FILE", help="labels.csv (default: labels.csv or NAME.labels.csv[.gz] beside NAME.truth.json)")
    e.add_argument("--out", metavar="FILE", help="where to write evaluation.json (default: in --results)")
    e.set_defaults(func=cmd_evaluate)

    lv = sub.add_parser(
        "live", help="watch a live AIS stream; alert on spoofing events and jamming zones as they happen",
        description="Read a live AIS feed, detect over a sliding window, print alerts as JSON lines (also in "
                    "DIR/alerts.jsonl) when a spoofing event or jamming zone opens, grows or closes, and keep "
                    "DIR/events.csv, DIR/zones.geojson and DIR/live.sqlite up to date. SIGINT/SIGTERM: flush and "
                    "exit 0; run again with the same --out to resume.",
        epilog="Examples: --tcp 153.44.253.27:5631 (Kystverket, Norway); --udp 10110 (AIS-catcher -u); "
               "--mqtt wss://meri.digitraffic.fi:443/mqtt (Digitraffic, Finland).",
    )
    src = lv.add_mutually_exclusive_group(required=True)
    src.add_argument("--tcp", metavar="HOST:PORT", help="NMEA over TCP (reconnects when it drops or stalls)")
    src.add_argument("--udp", metavar="[HOST:]PORT", help="NMEA datagrams received on this port")
    src.add_argument("--follow", metavar="FILE",
                     help="an NMEA log that is being written (from its end, as tail -F; see --from-start)")
    src.add_argument("--mqtt", metavar="URL", help="Digitraffic vessels-v2 MQTT, e.g. wss://meri.digitraffic.fi:443/mqtt")
    lv.add_argument("--out", required=True, metavar="DIR", help="output and state directory")
    lv.add_argument("--window", type=float, metavar="MINUTES", help="detection window (default 60)")
    lv.add_argument("--step", type=float, metavar="SECONDS", help="detection interval, wall clock (default 2)")
    lv.add_argument("--config", metavar="FILE", help="TOML file overriding defaults ([live] section and others)")
    lv.add_argument("--from-start", action="store_true",
                    help="with --follow: read what the log already holds first (only for logs with times "
                         "of their own: an untimed backlog would all take one arrival time)")
    lv.add_argument("--exit-at-eof", action="store_true",
                    help="stop when the TCP server closes or the followed file ends (instead of waiting)")
    lv.set_defaults(func=cmd_live)

    sv = sub.add_parser(
        "serve", help="replay a recorded NMEA file as a live TCP feed (demos, tests)",
        description="Serve FILE to every client that connects, in the tag-block format "
                    "(\\s:station,c:unixtime*hh\\!AIVDM,...), paced by the recorded times.",
    )
    sv.add_argument("file", metavar="FILE", help="NMEA log (gzip/bz2/zip read as they are)")
    sv.add_argument("--port", type=int, required=True, help="TCP port (0: any free port, printed on stderr)")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sv.add_argument("--speed", type=float, default=1.0,
                    help="times faster than real time (default 1; 0 or inf: as fast as possible)")
    sv.set_defaults(func=cmd_serve)

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
    previous = _terminate_as_interrupt()
    try:
        return _run(args.func, args)
    finally:
        if previous is not None:  # main() called in-process (tests, notebooks): leave signals as found
            import signal

            signal.signal(signal.SIGTERM, previous)


def _run(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """``func(args)`` with every way it can end turned into an exit code (module docstring)."""
    try:
        from .ingest import IngestError  # (loads pandas: a signal may come meanwhile)
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    try:
        return func(args)
    except (UsageError, IngestError) as exc:
        print(f"gnss-watch: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: say so in one line unless asked for the traceback
        if os.environ.get("GNSS_WATCH_DEBUG"):
            traceback.print_exc()
        else:
            print(f"gnss-watch: internal error: {type(exc).__name__}: {exc} "
                  "(set GNSS_WATCH_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1
