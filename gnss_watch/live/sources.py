"""Live inputs: TCP, UDP, a growing file, Digitraffic MQTT.

Each source's :meth:`chunks` yields :class:`Chunk` objects: complete NMEA
lines (or MQTT messages) with their arrival time, and empty chunks at least
every ``TICK_S`` seconds while nothing arrives, so the caller can run
detection steps, print status and notice a stop request. Sources that can
drop (TCP, MQTT) reconnect with capped exponential backoff
(``LiveConfig.backoff_initial_s`` doubling to ``backoff_max_s``) and treat a
feed silent for ``read_timeout_s`` as stalled.
"""

from __future__ import annotations

import os
import queue
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from ..config import LiveConfig
from ..ingest.nmea import LineSplitter

#: Longest wait, seconds, before a source yields control back to the caller.
TICK_S = 0.5
#: Digitraffic's vessel topics (https://www.digitraffic.fi/en/marine-traffic/): locations and metadata.
DIGITRAFFIC_TOPICS = ("vessels-v2/+/location", "vessels-v2/+/metadata")

Log = Callable[[str], None]


def _stderr(msg: str) -> None:
    print(f"gnss-watch live: {msg}", file=sys.stderr, flush=True)


@dataclass
class Chunk:
    """What arrived at ``arrival`` (unix seconds): NMEA lines, or MQTT (topic, payload) messages."""

    arrival: float
    lines: list[bytes] = field(default_factory=list)
    messages: list[tuple[str, bytes]] = field(default_factory=list)


def _wait(seconds: float, stop: threading.Event) -> Iterator[Chunk]:
    end = time.time() + seconds
    while not stop.is_set() and time.time() < end:
        stop.wait(min(TICK_S, max(end - time.time(), 0.0)))
        yield Chunk(time.time())


class Source:
    """Common counters; subclasses implement :meth:`chunks`."""

    name = ""

    def __init__(self, cfg: LiveConfig, max_line_length: int, log: Log = _stderr) -> None:
        self.cfg = cfg
        self.max_len = max_line_length
        self.log = log
        self.connects = 0
        self.reconnects = 0
        self.dropped = 0  # datagrams lost before they could be read (UDP)

    def chunks(self, stop: threading.Event) -> Iterator[Chunk]:
        raise NotImplementedError


class TcpSource(Source):
    """A TCP feed of NMEA lines (Kystverket's open feed, ``gnss-watch serve``, AIS-catcher's TCP server).

    ``once``: stop when the server closes the connection instead of reconnecting.
    """

    def __init__(self, host: str, port: int, cfg: LiveConfig, max_line_length: int, once: bool = False,
                 log: Log = _stderr) -> None:
        super().__init__(cfg, max_line_length, log)
        self.host, self.port, self.once = host, port, once
        self.name = f"tcp://{host}:{port}"

    def chunks(self, stop: threading.Event) -> Iterator[Chunk]:
        cfg = self.cfg
        delay = cfg.backoff_initial_s
        while not stop.is_set():
            try:
                sock = socket.create_connection((self.host, self.port), timeout=10)
            except OSError as exc:
                self.log(f"{self.name}: cannot connect ({exc}); retrying in {delay:g} s")
                yield from _wait(delay, stop)
                delay = min(delay * 2, cfg.backoff_max_s)
                continue
            self.connects += 1
            self.log(f"{self.name}: connected")
            splitter = LineSplitter(self.max_len)
            last = time.time()
            why = "closed by the server"
            sock.settimeout(TICK_S)
            try:
                while not stop.is_set():
                    try:
                        data = sock.recv(1 << 16)
                    except TimeoutError:
                        now = time.time()
                        if now - last > cfg.read_timeout_s:
                            why = f"stalled (no data for {cfg.read_timeout_s:g} s)"
                            break
                        yield Chunk(now)
                        continue
                    if not data:
                        break
                    last = time.time()
                    delay = cfg.backoff_initial_s  # the link works again: start backoff afresh
                    yield Chunk(last, splitter.feed(data))
            except OSError as exc:
                why = f"dropped ({exc})"
            finally:
                sock.close()
            rest = splitter.flush()
            if rest:
                yield Chunk(time.time(), rest)
            if stop.is_set():
                return
            if self.once:
                self.log(f"{self.name}: {why}; done")
                return
            self.reconnects += 1
            self.log(f"{self.name}: {why}; reconnecting in {delay:g} s")
            yield from _wait(delay, stop)
            delay = min(delay * 2, cfg.backoff_max_s)


# Linux's SO_RXQ_OVFL (socket(7); the socket module does not name it): each datagram received carries the
# count of datagrams the kernel has dropped on this socket so far, its receive buffer full.
_SO_RXQ_OVFL = 40


class UdpSource(Source):
    """NMEA datagrams (AIS-catcher ``-u HOST PORT``, rtl-ais, most receivers): one or more whole lines each.

    UDP has no flow control: datagrams arriving while the receive buffer
    (``rcvbuf`` bytes asked of the kernel, which may grant less) is full are
    dropped before they are read. On Linux the kernel counts them (the count
    arrives with the next datagram delivered); ``dropped`` holds that count (0
    elsewhere, where it cannot be known: ``counts_drops`` says which), and the
    status says it.
    """

    def __init__(self, host: str, port: int, cfg: LiveConfig, max_line_length: int, log: Log = _stderr,
                 rcvbuf: int = 4 << 20) -> None:
        super().__init__(cfg, max_line_length, log)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:  # Linux caps the request at net.core.rmem_max; some systems refuse a size above theirs
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        except OSError:
            pass
        self.counts_drops = False
        if sys.platform.startswith("linux") and hasattr(socket, "CMSG_SPACE"):
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, _SO_RXQ_OVFL, 1)
                self.counts_drops = True
            except OSError:
                pass
        try:
            self.sock.bind((host, port))
        except OSError:
            self.sock.close()
            raise
        self.address = self.sock.getsockname()
        self.name = f"udp://{self.address[0]}:{self.address[1]}"

    def chunks(self, stop: threading.Event) -> Iterator[Chunk]:
        self.sock.settimeout(TICK_S)
        self.connects = 1
        try:
            while not stop.is_set():
                try:
                    if self.counts_drops:
                        data, cmsgs, _, _ = self.sock.recvmsg(1 << 16, socket.CMSG_SPACE(4))
                    else:
                        data, cmsgs = self.sock.recvfrom(1 << 16)[0], []
                except TimeoutError:
                    yield Chunk(time.time())
                    continue
                for level, kind, value in cmsgs:
                    if level == socket.SOL_SOCKET and kind == _SO_RXQ_OVFL and len(value) >= 4:
                        self.dropped = int.from_bytes(value[:4], sys.byteorder)
                splitter = LineSplitter(self.max_len)  # a datagram holds whole lines
                yield Chunk(time.time(), splitter.feed(data) + splitter.flush())
        finally:
            self.sock.close()


class FollowSource(Source):
    """A growing log file, read as it grows (``tail -F``: rotation and truncation too, and a file
    truncated and written again past the offset between two reads, which ``tail -F`` misses).

    What the file already holds is skipped unless ``from_start``: an untimed backlog
    would all take one arrival time (a recorded file is for ``replay``). A file that
    replaces it after rotation is read from its start. ``once``: stop at the end of
    the file instead of waiting for more.
    """

    def __init__(self, path: str, cfg: LiveConfig, max_line_length: int, once: bool = False,
                 log: Log = _stderr, from_start: bool = False) -> None:
        super().__init__(cfg, max_line_length, log)
        self.path, self.once, self.from_start = path, once, from_start
        self.name = path

    def chunks(self, stop: threading.Event) -> Iterator[Chunk]:
        fh = None
        splitter = LineSplitter(self.max_len)
        skip_existing = not self.from_start  # only what the file holds when following starts
        # The last bytes read, just before the offset: a file truncated and written past the offset
        # between two reads (copytruncate rotation) keeps its inode and size, but not those bytes.
        tail = b""
        try:
            while not stop.is_set():
                now = _before(fh, len(tail)) if fh is not None and tail else tail
                if fh is not None and now != tail and len(now) == len(tail):
                    if not now.strip(b"\0"):
                        # a hole: after a copytruncate a writer without O_APPEND (a shell's '>') goes
                        # on at its old offset; what follows is its new output
                        tail = now
                    else:
                        rest = splitter.flush()
                        if rest:
                            yield Chunk(time.time(), rest)
                        self.log(f"{self.path}: truncated and written again; reading it from the start")
                        fh.close()
                        fh, tail = None, b""
                        self.reconnects += 1
                        continue
                if fh is None:
                    try:
                        fh = open(self.path, "rb")
                    except OSError as exc:
                        if self.once:
                            self.log(f"{self.path}: {exc}")
                            return
                        skip_existing = False  # a file created later is new from its first line
                        yield from _wait(TICK_S, stop)
                        continue
                    inode = os.fstat(fh.fileno()).st_ino
                    if skip_existing:
                        fh.seek(0, os.SEEK_END)
                        skip_existing = False
                        tail = _before(fh, _TAIL_BYTES)
                    self.connects += 1
                data = fh.read(1 << 20)
                if data:
                    tail = data[-_TAIL_BYTES:] if len(data) >= _TAIL_BYTES else (tail + data)[-_TAIL_BYTES:]
                    yield Chunk(time.time(), splitter.feed(data))
                    continue
                try:
                    st = os.stat(self.path)
                    replaced = st.st_ino != inode or st.st_size < fh.tell()
                except OSError:
                    replaced = False  # rotated away and not yet recreated: keep reading the old one
                if self.once or replaced:
                    rest = splitter.flush()
                    if rest:
                        yield Chunk(time.time(), rest)
                    if self.once:
                        return
                    self.log(f"{self.path}: rotated or truncated; reading it from the start")
                    fh.close()
                    fh, tail = None, b""
                    self.reconnects += 1
                    continue
                yield from _wait(TICK_S, stop)
        finally:
            if fh is not None:
                fh.close()


#: Bytes before the read offset compared to what was read there (a line or so of a log).
_TAIL_BYTES = 64


def _before(fh: BinaryIO, n: int) -> bytes:
    """Up to ``n`` bytes of ``fh``'s file just before its offset (b'' for a pipe or a device, or
    where ``os.pread`` is missing)."""
    try:
        end = fh.tell()
        return os.pread(fh.fileno(), min(n, end), end - min(n, end))
    except (OSError, AttributeError):
        return b""



class MqttSource(Source):
    """Finland's Digitraffic vessel feed (MQTT over websockets), or any broker with its topic layout.

    ``url``: ``wss://meri.digitraffic.fi:443/mqtt`` (also ``ws://``, ``mqtt://``,
    ``mqtts://``; ``user:password@`` when the broker wants them). paho-mqtt keeps
    the connection and reconnects with the configured backoff; a feed silent for
    ``read_timeout_s`` is reconnected here.
    """

    def __init__(self, url: str, cfg: LiveConfig, max_line_length: int, topics: tuple[str, ...] = DIGITRAFFIC_TOPICS,
                 log: Log = _stderr) -> None:
        super().__init__(cfg, max_line_length, log)
        u = urlsplit(url)
        if u.scheme not in ("ws", "wss", "mqtt", "mqtts", "tcp", "ssl") or not u.hostname:
            raise ValueError(f"--mqtt {url!r}: expected ws://, wss://, mqtt:// or mqtts://HOST[:PORT][/PATH]")
        self.websockets = u.scheme in ("ws", "wss")
        self.tls = u.scheme in ("wss", "mqtts", "ssl")
        default_port = {"ws": 80, "wss": 443, "mqtt": 1883, "tcp": 1883, "mqtts": 8883, "ssl": 8883}[u.scheme]
        self.host, self.port = u.hostname, u.port or default_port
        self.path = u.path or "/mqtt"
        self.user = unquote(u.username) if u.username else None
        self.password = unquote(u.password) if u.password else None
        self.topics = topics
        self.dropped = 0  # messages lost because the queue was full (processing far behind the feed)
        self.name = f"{u.scheme}://{self.host}:{self.port}{self.path if self.websockets else ''}"

    def chunks(self, stop: threading.Event) -> Iterator[Chunk]:
        import paho.mqtt.client as mqtt

        q: queue.Queue = queue.Queue(maxsize=100_000)
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"gnss-watch-{uuid.uuid4().hex[:12]}",
                             transport="websockets" if self.websockets else "tcp")
        if self.websockets:
            client.ws_set_options(path=self.path)
        if self.tls:
            client.tls_set()
        if self.user:
            client.username_pw_set(self.user, self.password)
        client.reconnect_delay_set(max(1, int(self.cfg.backoff_initial_s)), max(1, int(self.cfg.backoff_max_s)))

        def on_connect(c, userdata, flags, reason, props) -> None:  # noqa: ANN001 (paho callback)
            if reason.is_failure:
                self.log(f"{self.name}: connection refused ({reason})")
                return
            self.connects += 1
            self.reconnects = self.connects - 1
            self.log(f"{self.name}: connected; subscribing to {', '.join(self.topics)}")
            c.subscribe([(t, 0) for t in self.topics])

        def on_disconnect(c, userdata, flags, reason, props) -> None:  # noqa: ANN001
            if not stop.is_set():
                self.log(f"{self.name}: disconnected ({reason}); paho reconnects")

        def on_message(c, userdata, msg) -> None:  # noqa: ANN001
            try:
                q.put_nowait((msg.topic, msg.payload, time.time()))
            except queue.Full:
                self.dropped += 1

        client.on_connect, client.on_disconnect, client.on_message = on_connect, on_disconnect, on_message
        client.connect_async(self.host, self.port, keepalive=30)
        client.loop_start()
        last = time.time()
        try:
            while not stop.is_set():
                try:
                    topic, payload, arrival = q.get(timeout=TICK_S)
                except queue.Empty:
                    now = time.time()
                    if now - last > self.cfg.read_timeout_s and client.is_connected():
                        self.log(f"{self.name}: stalled (no message for {self.cfg.read_timeout_s:g} s); reconnecting")
                        last = now
                        try:
                            client.reconnect()
                        except OSError as exc:
                            self.log(f"{self.name}: reconnect failed ({exc}); paho retries")
                    yield Chunk(now)
                    continue
                msgs = [(topic, payload)]
                while len(msgs) < 20_000:
                    try:
                        topic, payload, _ = q.get_nowait()
                    except queue.Empty:
                        break
                    msgs.append((topic, payload))
                last = time.time()
                yield Chunk(arrival, messages=msgs)
        finally:
            client.disconnect()
            client.loop_stop()
