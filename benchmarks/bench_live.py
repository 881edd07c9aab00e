"""Throughput and alert latency of ``gnss-watch live`` on loopback.

1. Throughput: the bundled sample (3 h, ~228k lines) served at full speed
   (``gnss-watch serve --speed 0``) into ``gnss-watch live --tcp``: sustained
   messages per second, detection steps, peak memory of the live process.
   Each open alert carries ``latency_s``: wall seconds from the arrival of the
   data holding the event's latest report to the alert, i.e. the processing
   delay (waiting for the step plus the detection run).
2. Paced: a slice of the sample around the spoofing group (minutes 35-50)
   served at ``--speed`` x real time (default 10), where alerts wait for the
   wall-clock step as they would at 1x: the latency a live user sees after
   the report that completes an event's evidence.

Run: ``.venv/bin/python benchmarks/bench_live.py [--speed 10] [--skip-paced]``.
Targets: >= 5,000 messages/s; alert latency < 5 s.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_replay import measure

ROOT = Path(__file__).parents[1]
SAMPLE = ROOT / "sample_data" / "gulf_of_finland.nmea.gz"
sys.path.insert(0, str(ROOT))


def _start(args: list[str], err: Path, out: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gnss_watch", *args], cwd=ROOT,
                            stdout=open(out, "wb") if out else subprocess.DEVNULL, stderr=open(err, "wb"))


def _port(err: Path) -> int:
    for _ in range(200):
        m = re.search(r"127\.0\.0\.1:(\d+)", err.read_text()) if err.exists() else None
        if m:
            return int(m.group(1))
        time.sleep(0.1)
    raise RuntimeError(f"no port in {err}")


def _run(data: Path, speed: float, tmp: Path, name: str) -> tuple[dict, list[dict], float]:
    srv = _start(["serve", str(data), "--port", "0", "--speed", repr(speed)], tmp / f"{name}-serve.err")
    try:
        port = _port(tmp / f"{name}-serve.err")
        out = tmp / name
        t0 = time.perf_counter()
        live = _start(["live", "--tcp", f"127.0.0.1:{port}", "--out", str(out), "--exit-at-eof"],
                      tmp / f"{name}-live.err", tmp / f"{name}-live.out")
        if live.wait() != 0:
            raise RuntimeError((tmp / f"{name}-live.err").read_text()[-2000:])
        wall = time.perf_counter() - t0
    finally:
        srv.send_signal(signal.SIGTERM)
        srv.wait()
    status = json.loads((out / "status.json").read_text())
    alerts = [json.loads(x) for x in (out / "alerts.jsonl").read_text().splitlines()]
    return status, alerts, wall


def _slice(dst: Path, start_min: float, end_min: float) -> Path:
    from gnss_watch.live.serve import timed_lines

    lines = list(timed_lines(str(SAMPLE)))
    t0 = min(t for t, _ in lines if t == t)
    keep = [line for t, line in lines if t0 + start_min * 60 <= t < t0 + end_min * 60]
    dst.write_bytes(b"\r\n".join(keep) + b"\r\n")
    return dst


def _latencies(alerts: list[dict]) -> list[float]:
    return sorted(a["latency_s"] for a in alerts if a["alert"] == "open" and a.get("latency_s") is not None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--speed", type=float, default=10.0, help="pace of the latency run (x real time)")
    ap.add_argument("--skip-paced", action="store_true", help="only the full-speed throughput run")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_live.") as d:
        tmp = Path(d)
        status, alerts, wall = _run(SAMPLE, 0.0, tmp, "full")
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        lines = status["accounting"]["lines"]["read"]
        lat = _latencies(alerts)
        print(f"full speed: {lines:,} lines, {status['messages']:,} messages in {status['elapsed_s']:.1f} s "
              f"(process {wall:.1f} s incl. start-up): {status['messages_per_s']:,.0f} messages/s, "
              f"{lines / status['elapsed_s']:,.0f} lines/s; {status['steps']} detection steps; "
              f"peak RSS {peak_mb:,.0f} MB")
        base = measure("pyais", str(SAMPLE))  # the baseline, same file, same run
        print(f"  baseline pyais.decode per line: {base['lines'] / base['seconds']:,.0f} lines/s; ratio live / pyais "
              f"{lines / status['elapsed_s'] / (base['lines'] / base['seconds']):.2f}")
        print(f"  alerts: {len(alerts)} ({sum(a['alert'] == 'open' for a in alerts)} open); processing delay "
              f"median {lat[len(lat) // 2]:.2f} s, max {lat[-1]:.2f} s" if lat else "  no open alerts")
        if not args.skip_paced:
            data = _slice(tmp / "slice.nmea", 35, 50)
            status, alerts, wall = _run(data, args.speed, tmp, "paced")
            lat = _latencies(alerts)
            from gnss_watch.config import LiveConfig

            print(f"paced at {args.speed:g}x (minutes 35-50 of the sample, step every "
                  f"{LiveConfig().step_s:g} s wall): {len(lat)} open alerts; latency median {lat[len(lat) // 2]:.2f} s, "
                  f"max {lat[-1]:.2f} s" if lat else f"paced at {args.speed:g}x: no open alerts")


if __name__ == "__main__":
    main()
