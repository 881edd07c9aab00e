"""``gnss-watch serve``: replay a recorded NMEA file as a live TCP feed, for demos and tests.

Every client gets the file from its start, paced by the lines' own times
(``speed`` times faster than real time; 0 or infinity: as fast as the client
reads). Sentences go out in the tag-block format of public feeds,
``\\s:station,c:unixtime*hh\\!AIVDM,...*hh``: lines that have a tag block are
sent as they are; other sentences get one carrying their time (from a leading
timestamp, a trailing USCG-style time, a ``$PGHP`` line before them, or the
last time seen). ``$PGHP`` lines are folded into the sentence they date;
anything else (comments, noise) passes through unchanged, so faults in a
recording are replayed too. The parts of a multi-sentence message share a
time, so pacing never separates them.
"""

from __future__ import annotations

import math
import socket
import sys
import threading
import time
from collections.abc import Iterator

from ..config import IngestConfig
from ..ingest.nmea import checksum, leading_time, parse_tag_block, parse_pghp, trailing_time, iter_line_blocks
from ..ingest.sources import open_sources

_SEND_BYTES = 1 << 16


def _tag_block(station: str, t: float) -> bytes:
    # NMEA 4.10 'c:' is unix seconds; keep milliseconds when the recording has them
    stamp = str(int(t)) if t == int(t) else str(int(round(t * 1000)))
    body = f"s:{station},c:{stamp}".encode()
    return b"\\" + body + b"*" + f"{checksum(body):02X}".encode() + b"\\"


def timed_lines(path: str, station: str = "serve") -> Iterator[tuple[float, bytes]]:
    """(unix time or NaN, line to send without newline) for each line of a recorded file (gzip etc. too)."""
    cfg = IngestConfig()
    last = math.nan
    pending = math.nan
    for src in open_sources(path, "nmea"):
        for lines in iter_line_blocks(src.stream, cfg.max_line_length, lambda exc: None):
            for raw in lines:
                line = raw.rstrip(b"\r\n")
                bang = line.find(b"!")
                if line.startswith(b"$PGHP"):
                    pending = parse_pghp(line)[0]
                    continue
                if line.startswith(b"\\"):
                    end = line.find(b"\\", 1)
                    t = parse_tag_block(line[1:end])[0] if end > 0 else math.nan
                    t = t if math.isfinite(t) else math.nan  # an unreadable 'c:' is sent as it is
                    if t == t:
                        last = t
                    yield (t if t == t else last), line
                    continue
                if bang < 0:
                    yield last, line
                    continue
                t = leading_time(line[:bang]) if bang > 0 else math.nan
                sentence = line[bang:]
                star = sentence.find(b"*")
                if t != t and star >= 0 and sentence[star + 3:star + 4] == b",":
                    t = trailing_time(sentence[star + 4:])[0]
                if t != t:
                    t = pending
                pending = math.nan
                if t == t:
                    last = t
                if last == last:
                    yield last, _tag_block(station, last) + sentence
                else:
                    yield last, sentence


def replay_to(conn: socket.socket, path: str, speed: float, stop: threading.Event) -> int:
    """Send ``path`` over ``conn`` paced at ``speed`` x real time; return the number of lines sent."""
    fast = speed <= 0 or math.isinf(speed)
    t0 = w0 = None
    buf: list[bytes] = []
    size = n = 0
    for t, line in timed_lines(path):
        if stop.is_set():
            break
        if not fast and t == t:
            if t0 is None:
                t0, w0 = t, time.monotonic()
            delay = w0 + (t - t0) / speed - time.monotonic()
            if delay > 0.002:
                if buf:
                    conn.sendall(b"".join(buf))
                    buf, size = [], 0
                stop.wait(delay)
        buf.append(line + b"\r\n")
        size += len(line) + 2
        n += 1
        if size >= _SEND_BYTES:
            conn.sendall(b"".join(buf))
            buf, size = [], 0
    if buf:
        conn.sendall(b"".join(buf))
    return n


def serve(path: str, port: int, host: str = "127.0.0.1", speed: float = 1.0,
          stop: threading.Event | None = None, ready: threading.Event | None = None) -> None:
    """Serve ``path`` on ``host:port`` until ``stop`` is set; one replay per client, clients in parallel."""
    stop = stop or threading.Event()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restarted server gets its port back at once
    srv.bind((host, port))
    srv.listen(8)
    srv.settimeout(0.5)
    bound = srv.getsockname()
    print(f"gnss-watch serve: {path} on {bound[0]}:{bound[1]} at "
          f"{'full speed' if speed <= 0 or math.isinf(speed) else f'{speed:g}x'}", file=sys.stderr, flush=True)
    if ready is not None:
        ready.port = bound[1]  # type: ignore[attr-defined]
        ready.set()

    def client(conn: socket.socket, addr: tuple) -> None:
        try:
            n = replay_to(conn, path, speed, stop)
            print(f"gnss-watch serve: {addr[0]}:{addr[1]}: sent {n:,} lines", file=sys.stderr, flush=True)
        except OSError as exc:
            print(f"gnss-watch serve: {addr[0]}:{addr[1]}: {exc}", file=sys.stderr, flush=True)
        finally:
            conn.close()

    try:
        while not stop.is_set():
            try:
                conn, addr = srv.accept()
            except TimeoutError:
                continue
            conn.settimeout(None)
            threading.Thread(target=client, args=(conn, addr), daemon=True).start()
    finally:
        srv.close()
