"""Live monitoring of AIS streams: ``gnss-watch live`` and ``gnss-watch serve``.

>>> from gnss_watch.live import LiveMonitor, TcpSource, run      # doctest: +SKIP
>>> mon = LiveMonitor("out", emit=print)
>>> run(TcpSource("153.44.253.27", 5631, mon.cfg.live, mon.cfg.ingest.max_line_length), mon, stop)

* :mod:`.sources` -- TCP / UDP / followed file / Digitraffic MQTT, reconnecting;
* :mod:`.engine` -- :class:`LiveMonitor`, sliding-window detection and alerts;
* :mod:`.store` -- the SQLite database of events, zones and alerts;
* :mod:`.serve` -- a recorded file replayed as a TCP feed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from .engine import LiveMonitor
from .sources import Chunk, FollowSource, MqttSource, Source, TcpSource, UdpSource

__all__ = ["LiveMonitor", "run", "Source", "Chunk", "TcpSource", "UdpSource", "FollowSource", "MqttSource"]

#: Lines or messages gathered before decoding (decoding per read would pay pandas' per-batch cost per packet) ...
BATCH_ITEMS = 5_000
#: ... or after this many seconds, whichever comes first: small beside the step interval.
BATCH_S = 0.25


def run(source: Source, monitor: LiveMonitor, stop: threading.Event, status_every: float | None = None,
        log: Callable[[str], None] | None = None) -> None:
    """Feed ``source`` into ``monitor`` until the source ends or ``stop`` is set, then flush and save.

    Prints the status line through ``log`` (default: stderr) every
    ``status_every`` seconds (default ``LiveConfig.status_s``).
    """
    log = log or source.log
    every = monitor.lc.status_s if status_every is None else status_every
    lines: list[bytes] = []
    messages: list[tuple[str, bytes]] = []
    first = 0.0  # arrival of the oldest item waiting in the batch
    last_status = time.time()
    try:
        for chunk in source.chunks(stop):
            if chunk.lines or chunk.messages:
                if not lines and not messages:
                    first = chunk.arrival
                lines.extend(chunk.lines)
                messages.extend(chunk.messages)
            now = time.time()
            if (lines or messages) and (len(lines) + len(messages) >= BATCH_ITEMS or now - first >= BATCH_S
                                        or not (chunk.lines or chunk.messages)):
                if lines:
                    monitor.feed_lines(lines, first)
                if messages:
                    monitor.feed_mqtt(messages, first)
                lines, messages = [], []
            monitor.counts["reconnects"] = source.reconnects
            monitor.counts["dropped_datagrams"] = source.dropped
            monitor.tick(now)
            if now - last_status >= every:
                last_status = now
                log(monitor.status_line() + (f", {source.reconnects} reconnects" if source.reconnects else "")
                    + (f", {source.dropped:,} datagrams dropped by the kernel (receiver too slow)" if source.dropped else ""))
            if stop.is_set():
                break
        if lines:
            monitor.feed_lines(lines, first)
        if messages:
            monitor.feed_mqtt(messages, first)
    finally:
        monitor.close()
        log("stopped: " + monitor.status_line())
