"""NMEA 0183 ``!xxVDM`` / ``!xxVDO`` logs into the canonical tables.

Framing, time stamps, checksums, multi-sentence assembly and duplicate removal
happen here; pyais decodes the bits of each assembled payload.

Time, in order of preference, from
  * an NMEA 4.10 tag block ``\\s:station,c:unixtime*hh\\`` (seconds or milliseconds),
  * the Danish Maritime Authority's ``$PGHP`` line before a sentence,
  * a timestamp leading the line (unix epoch or ISO 8601, as receiver loggers write),
  * a trailing ``,station,epoch`` after the checksum (USCG NAIS style).
A sentence without a time of its own takes the last time seen in its file
(the first one for sentences before it). A file with no time at all is dated
from its base-station (type 4) UTC reports, interpolated over line numbers and
refined with each report's own UTC-second field; failing that, from a
``start`` time given by the user; failing that, :class:`UndatedError`.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from typing import BinaryIO

import numpy as np
import pandas as pd
from pyais.bit_vector import bit_vector
from pyais.messages import MSG_CLASS

from ..config import IngestConfig
from ..schema import BASE_STATION_DTYPES, DEVICE_BY_TYPE, POSITION_DTYPES, conform, unix_seconds, utc_from_unix
from .accounting import Accounting
from .base import ERA_S, READ_ERRORS, Batch, UndatedError, ends_early

# Payload characters allowed by the six-bit armouring: '0'..'W' and '`'..'w'.
_PAYLOAD_CHARS = bytes(range(48, 88)) + bytes(range(96, 120))
_HEX_DIGITS = "0123456789ABCDEFabcdef"
_CHECKSUM = {(a + b).encode(): int(a + b, 16) for a in _HEX_DIGITS for b in _HEX_DIGITS}  # "7F" -> 127
_DIGIT = {str(i).encode(): i for i in range(10)}
_SIXBIT = tuple((c - 48 - 8 if c - 48 > 40 else c - 48) if 48 <= c <= 119 else -1 for c in range(256))

# Shortest payload (bits) that carries every field we read, per ITU-R M.1371-5.
# Type 5 is 424 bits, but 420-bit variants (one sentence short of fill) are common and complete.
_MIN_BITS = {1: 168, 2: 168, 3: 168, 4: 168, 5: 420, 9: 168, 18: 168, 19: 312, 21: 272, 24: 160, 27: 96}
_STATIC_TYPES = frozenset((5, 19, 24))
_POSITION_TYPES = frozenset(DEVICE_BY_TYPE)

_ISO = re.compile(rb"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?$")
# A year-first date and time anywhere in a logger's prefix ('[2024/06/01 12:00:05 UTC] rx1:');
# day- or month-first dates are ambiguous and not read.
_ISO_IN = re.compile(rb"(?<!\d)(\d{4})[-/.](\d\d)[-/.](\d\d)[T _]?\s*(\d\d):(\d\d)(?::(\d\d)(\.\d+)?)?"
                     rb"\s*(Z|UTC|GMT|[+-]\d\d(?::?\d\d)?)?(?!\d)")
_EPOCH_IN = re.compile(rb"(?<![\d.])(\d{13}|\d{10}(?:\.\d+)?)(?![\d.])")
# Something meant as a time: a date, a clock time or a number as long as an epoch (ten
# digits and more; nine are a station's MMSI). A prefix holding one that does not read as
# a plausible time (a day-first date, a clock reset to 1970) is a bad stamp, not a
# receiver's name.
_STAMPISH = re.compile(rb"(?<!\d)(?:\d{4}[-/.]\d\d?[-/.]\d\d?|\d\d?[-/.]\d\d?[-/.]\d{4})(?!\d)"
                       rb"|(?<!\d)\d\d?:\d\d:\d\d(?!\d)|(?<![\d.])\d{10,}")

NAN = math.nan


def _epoch(value: bytes) -> float:
    """Unix time from seconds or milliseconds text; NaN when it is not a plausible time."""
    try:
        t = float(value)
    except ValueError:
        return NAN
    if t > 1e11:  # milliseconds
        t /= 1000.0
    return _plausible(t)


#: What :func:`parse_tag_block` gives for a ``c:`` field that holds no plausible time.
BAD_TIME = float("-inf")


def _plausible(t: float) -> float:
    """``t`` when it can be a receive time (within :data:`ERA_S`), else NaN."""
    return t if ERA_S[0] <= t < ERA_S[1] else NAN


def leading_time(prefix: bytes) -> float:
    """Unix time from a logger's stamp before the sentence; NaN when none.

    The stamp is epoch seconds or milliseconds, or a year-first date and time
    (ISO 8601 or with '/' or '.', no offset meaning UTC), alone or among other
    fields ('[...]', a station name, separators).
    """
    p = prefix.strip(b" \t,;:|")
    if not p:
        return NAN
    if p[0:1].isdigit() and _ISO.match(p):
        try:
            d = datetime.fromisoformat(p.decode().replace(" ", "T").replace("Z", "+00:00"))
        except ValueError:  # e.g. nanoseconds: read below
            pass
        else:
            if d.tzinfo is None:
                d = d.replace(tzinfo=timezone.utc)
            return _plausible(d.timestamp())
    t = _epoch(p)
    if t == t:
        return t
    m = _ISO_IN.search(p)
    if m is not None:
        y, mo, d_, h, mi, sec, frac, zone = m.groups()
        try:
            d = datetime(int(y), int(mo), int(d_), int(h), int(mi), int(sec or 0), tzinfo=timezone.utc)
        except ValueError:
            return NAN
        offset = 0.0
        if zone and zone[:1] in b"+-":
            digits = zone[1:].replace(b":", b"")
            offset = (1 if zone[:1] == b"+" else -1) * (int(digits[:2]) * 3600 + int(digits[2:4] or 0) * 60)
        return _plausible(d.timestamp() + float(frac or 0) - offset)
    for m in _EPOCH_IN.finditer(p):  # a counter or serial number may come first
        t = _epoch(m.group(1))
        if t == t:
            return t
    return NAN


def parse_tag_block(tb: bytes) -> tuple[float, str | None, bytes | None]:
    """(unix time, station or None, group 'seq-total-id' or None) from a tag block's text.

    The time is NaN without a ``c:`` field and ``-inf`` (:data:`BAD_TIME`) when
    ``c:`` holds no plausible time: a bad stamp, not to be replaced by a neighbour's.
    The tag block checksum is not enforced: loggers often write it wrong, and
    each value must parse on its own anyway.
    """
    star = tb.rfind(b"*")
    if star >= 0:
        tb = tb[:star]
    t, station, group = NAN, None, None
    for field in tb.split(b","):
        key, _, val = field.partition(b":")
        if key == b"c":
            t = _epoch(val)
            if t != t:
                t = BAD_TIME
        elif key in (b"s", b"si") and val:
            station = val.decode("ascii", "replace")
        elif key == b"g":
            group = val
    return t, station, group


def parse_pghp(line: bytes) -> tuple[float, str | None]:
    """Receive time and base-station MMSI from a DMA ``$PGHP,1,Y,M,D,h,m,s,ms,mid,region,bs,...`` line."""
    f = line.split(b"*", 1)[0].split(b",")
    try:
        y, mo, d, h, mi, s, ms = (int(x) for x in f[2:9])
        t = _plausible(datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=timezone.utc).timestamp())
    except (ValueError, IndexError, OverflowError):
        return NAN, None
    station = f[11].decode("ascii", "replace") if len(f) > 11 and f[11] else None
    return t, station


def trailing_time(rest: bytes) -> tuple[float, str | None]:
    """Time and station from fields after the checksum: ``,b003669794,1272412827`` or USCG ``,s..,d..,r..,epoch``."""
    t, station = NAN, None
    for field in rest.split(b","):
        if not field:
            continue
        if field[:1].isdigit():
            t = _epoch(field)
        elif station is None or field[:1] == b"r":
            station = field.decode("ascii", "replace")
    return t, station


def checksum(data: bytes) -> int:
    """The NMEA checksum of ``data`` (the text between the start character and '*'): the XOR of its
    bytes, folded as one integer -- a few big-int shifts instead of a Python call per byte."""
    x = int.from_bytes(data, "little")
    bits = len(data) * 8
    shift = 8
    while shift < bits:  # after each fold, byte 0 holds the XOR of the first shift/8 bytes
        x ^= x >> shift
        shift <<= 1
    return x & 255


def parse_sentence(sentence: bytes) -> tuple[int, int, bytes, bytes, bytes, int, float, str | None] | str:
    """Fields of ``!ccVDM,cnt,num,seq,chan,payload,fill*hh[,trailing]``, or the reason to skip it.

    Returns (part count, part number, sequence id, channel, payload, fill bits,
    trailing time or NaN, trailing station or None); a string is the
    accounting bucket of a sentence that is not a valid VDM/VDO.
    """
    star = sentence.find(b"*")
    if star < 0 or len(sentence) < star + 3 or not sentence.isascii():
        return "malformed" if b"VD" in sentence[:7] and sentence.isascii() else "not_nmea"
    body = sentence[1:star]
    fields = body.split(b",")
    head = fields[0]
    if len(head) != 5 or head[2:4] != b"VD" or head[4] not in (77, 79):  # VDM / VDO
        return "other_nmea"
    ck = _CHECKSUM.get(sentence[star + 1:star + 3])
    if ck is None:
        return "malformed"
    if checksum(body) != ck:
        return "bad_checksum"
    if len(fields) != 7:
        return "malformed"
    _, cnt, num, seq, chan, payload, fill = fields
    if not payload:
        return "empty_payload"
    cnt_i = _DIGIT.get(cnt, 0)
    num_i = _DIGIT.get(num, 0)
    fill_i = _DIGIT.get(fill, 9)
    if not (1 <= num_i <= cnt_i) or fill_i > 5 or payload.translate(None, _PAYLOAD_CHARS):
        return "malformed"
    tt, ts = NAN, None
    if len(sentence) > star + 3 and sentence[star + 3] == 44:  # ',' trailing fields
        tt, ts = trailing_time(sentence[star + 4:])
    return cnt_i, num_i, seq, chan, payload, fill_i, tt, ts


class LineSplitter:
    """Bytes as they are read -> complete lines, however the reads split them.

    Lines end in LF, CR LF or a lone CR (old Mac-style logs); CRs before an LF are one
    line end with it (CR CR LF: a CR LF file converted once more). A line longer than
    ``max_len`` is passed on cut to ``max_len + 1`` bytes (so the decoder counts it as
    too long, once) and the rest of it dropped: memory never holds more than one line.
    """

    def __init__(self, max_len: int) -> None:
        self.max_len = max_len
        self.carry = b""
        self.overlong = False

    def feed(self, data: bytes) -> list[bytes]:
        data = self.carry + data
        held = b""
        if b"\r" in data:
            if data.endswith(b"\r"):  # maybe the first half of a CR LF: decided with the next read
                stripped = data.rstrip(b"\r")
                data, held = stripped, data[len(stripped):]
            while b"\r\n" in data:
                data = data.replace(b"\r\n", b"\n")
            data = data.replace(b"\r", b"\n")
        lines = data.split(b"\n")
        carry = lines.pop()
        if self.overlong and lines:  # the rest of a line already passed on as too long
            del lines[0]
            self.overlong = False
        if len(carry) > self.max_len:
            if not self.overlong:
                lines.append(carry[: self.max_len + 1])
                self.overlong = True
            carry = b""
        self.carry = carry + held
        return lines

    def flush(self) -> list[bytes]:
        """The end of the stream: the unterminated last line (the decoder judges it), and
        CRs held at the very end, which were line ends after all."""
        carry, overlong = self.carry, self.overlong
        self.carry, self.overlong = b"", False
        if carry.endswith(b"\r"):
            text = carry.rstrip(b"\r")
            tail = [text] + [b""] * (len(carry) - len(text) - 1)
            return tail[1:] if overlong else tail
        return [carry] if carry and not overlong else []


def iter_line_blocks(stream: BinaryIO, max_line_length: int, on_error: Callable[[Exception], None],
                     block_bytes: int = 1 << 16) -> Iterator[list[bytes]]:
    """Split a byte stream into lists of lines (:class:`LineSplitter`) without ever holding an
    unbounded line. A stream that breaks off (truncated gzip, I/O error) ends there: what was
    read is kept and ``on_error`` is told why.
    """
    splitter = LineSplitter(max_line_length)
    while True:
        try:
            # read1: one underlying read at a time, so a stream that breaks loses only its last block
            block = stream.read1(block_bytes) if hasattr(stream, "read1") else stream.read(block_bytes)
        except READ_ERRORS as exc:
            on_error(exc)
            break
        if not block:
            break
        lines = splitter.feed(block)
        if lines:
            yield lines
    tail = splitter.flush()
    if tail:
        yield tail


_RECORD = re.compile(rb"(?:\\[^\\!]*\\)?![A-Za-z]{2}VD[MO][^\\!]*")


# More than one record on a line: two sentences, or a sentence with its $PGHP after it (CSV exports).
# Possessive, so a line with one sentence is scanned once instead of backtracked over.
_PACKED = re.compile(rb"![^\n!$]*+(?:\$(?!PGHP)[^\n!$]*+)*+(?:!|\$PGHP)")
_PGHP = re.compile(rb"\$PGHP[^\"\\!]*")


def _records(lines: list[bytes], max_line_length: int) -> Iterable[bytes]:
    """Lines, with several sentences packed on one line split apart.

    Some exports write ``\\tag\\!AIVDM...*hh\\tag\\!AIVDM...*hh`` on one line. Each
    extra sentence is counted as a line read of its own, so the accounting
    still balances and each sentence lands in one bucket. A line cut for being
    too long stays whole, to be counted as such (what was cut off is unread).
    """
    if not _PACKED.search(b"\n".join(lines)):  # the common case, checked at C speed
        return lines
    return _split_records(lines, max_line_length)


def _split_records(lines: list[bytes], max_line_length: int) -> Iterator[bytes]:
    for line in lines:
        if len(line) > max_line_length:
            yield line
            continue
        recs = _RECORD.findall(line)
        # a "!..","$PGHP.." CSV row: the time line goes first, as in DMA logs
        pghp = _PGHP.findall(line) if b"$PGHP" in line else []
        if len(recs) + len(pghp) < 2:
            yield line
            continue
        yield from pghp
        yield from (r.rstrip(b'",') for r in recs)


#: The payload memory (for merging copies) is pruned to the last ``dedup_window_s`` of the stream's
#: time once it holds this many payloads: about 10 MB, minutes of the busiest feed.
SEEN_PURGE_AT = 50_000

#: Extra columns of a keyed decoder's rows: the payload's hash (equal for every reception of one
#: transmission, different between transmissions: their radio state differs) and the lines it took.
KEY_COLUMNS = ("_key", "_nlines")

# Raw position fields, one tuple per report, typed once per chunk by _positions.
_POS_ROW = np.dtype([("time", "f8"), ("mmsi", "i8"), ("lat", "f8"), ("lon", "f8"), ("sog", "f8"), ("cog", "f8"),
                     ("heading", "f8"), ("rot", "f8"), ("accuracy", "i1"), ("raim", "i1"), ("second", "i8"),
                     ("nav_status", "i1"), ("msg_type", "i8"), ("station", "O"), ("time_source", "O"),
                     ("_line", "i8"), ("_nlines", "i8"), ("_key", "i8")])


class _Columns:
    """Per-message rows, turned into frames once per chunk."""

    __slots__ = ("pos", "static", "bs")

    def __init__(self) -> None:
        self.pos: list[tuple] = []
        self.static: list[dict] = []
        self.bs: list[dict] = []


class NmeaDecoder:
    """Incremental decoder for one NMEA stream (a file, or a live feed).

    Feed it lists of raw lines with :meth:`feed`; it returns what those lines
    completed as a :class:`Batch`. :meth:`finish` flushes what is left
    (incomplete multi-sentence messages, and undated rows). The accounting
    object is updated as lines are resolved.
    """

    def __init__(self, source: str, cfg: IngestConfig, acct: Accounting, start: float | None = None,
                 seen: dict[bytes, float] | None = None, keys: bool = False) -> None:
        self.source = source
        # keep each row's payload hash and line count (KEY_COLUMNS) for merging copies across inputs
        self.keys = keys
        self.cfg = cfg
        self.acct = acct
        self.start = start
        self.line_no = 0
        self.last_time = NAN
        self.first_time = NAN
        self.dated = False  # has any line of this stream carried a time?
        self.time_kind = ""
        # Metadata lines ($PGHP, standalone tag blocks) wait here for the sentence they describe.
        self.pending_time = NAN
        self.pending_station: str | None = None
        self.pending_kind = ""
        self.last_station: str | None = None
        self.fragments: dict[tuple, list] = {}
        self.frag_order: deque = deque()
        # payload -> first reception time; share one dict between decoders to merge copies across inputs
        self.seen: dict[bytes, float] = {} if seen is None else seen
        self.cols = _Columns()
        self.tag_blocks: dict[bytes, tuple[float, str | None, bytes | None]] = {}
        self.sentences: dict[bytes, tuple | str] = {}
        self.undated_rows: list[Batch] = []
        self.anchors: list[tuple[int, float]] = []  # (line, unix time) from valid type 4 UTC, for undated streams

    # -- line level -------------------------------------------------------------------------
    def feed(self, lines: list[bytes], arrival: float | None = None) -> Batch:
        """Decode ``lines``; return the messages they completed.

        ``arrival`` (unix seconds, live feeds only): when the lines were
        received. A sentence with no time of its own, in a stream that has not
        carried times of its own, takes it (time source 'arrival').
        """
        acct = self.acct
        maxlen = self.cfg.max_line_length
        maxdist = self.cfg.max_fragment_distance_lines
        skipped = acct.skipped
        n_read = 0
        used = 0
        tb_cache = self.tag_blocks
        sentences = self.sentences
        for raw in _records(lines, maxlen):
            n_read += 1
            self.line_no += 1
            if len(raw) > maxlen:
                skipped["too_long"] += 1
                continue
            line = raw.strip()
            if not line:
                skipped["blank"] += 1
                continue
            c0 = line[0]
            t = NAN
            station = None
            group = None
            kind = ""
            if c0 == 33:  # '!'
                sentence = line
            elif c0 == 92:  # '\\' tag block
                end = line.find(b"\\", 1)
                if end < 0:
                    skipped["malformed"] += 1
                    continue
                tb = line[1:end]
                parsed = tb_cache.get(tb)
                if parsed is None:  # lines share tag blocks: one per station and second
                    if len(tb_cache) > 8192:
                        tb_cache.clear()
                    parsed = tb_cache[tb] = parse_tag_block(tb)
                t, station, group = parsed
                if t == BAD_TIME:
                    skipped["bad_time"] += 1
                    continue
                sentence = line[end + 1:]
                kind = "tagblock"
                if not sentence:
                    # a tag block on its own line describes the sentence that follows
                    self.pending_station = station or self.pending_station
                    if t == t:
                        self.pending_time, self.pending_kind = t, "tagblock"
                    used += 1
                    continue
                if sentence[0] != 33:
                    bang = sentence.find(b"!")
                    sentence = sentence[bang:] if bang >= 0 else sentence
            elif c0 == 36:  # '$'
                if line.startswith(b"$PGHP"):
                    pt, pst = parse_pghp(line)
                    if pt == pt:
                        # no base station in the $PGHP: keep the network named by a '\\si:' line, if any
                        self.pending_time, self.pending_kind = pt, "pghp"
                        self.pending_station = pst or self.pending_station
                        used += 1
                    else:
                        skipped["malformed"] += 1
                else:
                    skipped["other_nmea"] += 1
                continue
            elif c0 == 35:  # '#'
                skipped["comment"] += 1
                continue
            else:
                bang = line.find(b"!")
                back = line.find(b"\\")
                if back >= 0 and (bang < 0 or back < bang):
                    end = line.find(b"\\", back + 1)
                    if end < 0:
                        skipped["not_nmea"] += 1
                        continue
                    t0 = leading_time(line[:back])
                    t, station, group = parse_tag_block(line[back + 1:end])
                    kind = "tagblock"
                    if (t != t or t == BAD_TIME) and t0 == t0:  # the logger's stamp when the receiver's is bad
                        t, kind = t0, "leading"
                    elif t == BAD_TIME:
                        skipped["bad_time"] += 1
                        continue
                    sentence = line[end + 1:]
                elif bang > 0:
                    dollar = line.find(b"$")
                    if 0 <= dollar < bang:
                        skipped["other_nmea"] += 1
                        continue
                    # A prefix with no time in it (a receiver's name) leaves the sentence
                    # undated, as if it stood alone; one with a time that cannot be read or
                    # is implausible is a bad stamp, not to be replaced by a neighbour's.
                    t = leading_time(line[:bang])
                    if t != t and _STAMPISH.search(line[:bang]):
                        skipped["bad_time"] += 1
                        continue
                    kind = "leading" if t == t else ""
                    sentence = line[bang:]
                else:
                    skipped["other_nmea" if b"$" in line[:8] and line.isascii() else "not_nmea"] += 1
                    continue

            parsed = sentences.get(sentence)
            if parsed is None:  # copies of a sentence heard by other stations repeat it byte for byte
                if len(sentences) > 16_384:
                    sentences.clear()
                parsed = sentences[sentence] = parse_sentence(sentence)
            if parsed.__class__ is str:
                skipped[parsed] += 1
                continue
            cnt_i, num_i, seq, chan, payload, fill_i, tt, ts = parsed
            if tt == tt and t != t:
                t, kind = tt, "trailing"
            station = station or ts
            if self.pending_kind:
                # metadata line(s) just before this sentence
                if t != t:
                    t, kind = self.pending_time, self.pending_kind
                station = station or self.pending_station
                self.pending_time, self.pending_station, self.pending_kind = NAN, None, ""
            elif station is None:
                # a sentence without a source continues the previous one's (e.g. part 2 after $PGHP + part 1)
                station = self.last_station
            self.last_station = station
            if t != t and arrival is not None and self.time_kind in ("", "arrival"):
                t, kind = arrival, "arrival"
            if t == t:
                if not self.dated:
                    self.first_time = t
                self.dated = True
                self.last_time = t
                self.time_kind = kind
            elif self.dated:
                t, kind = self.last_time, self.time_kind

            if cnt_i == 1:
                used += self._message(payload, fill_i, t, kind, station, 1)
                continue
            # multi-sentence: assemble by tag-block group where present, else by sequence id and channel
            gparts = group.split(b"-") if group is not None else ()
            if len(gparts) == 3 and _DIGIT.get(gparts[0]) == num_i and _DIGIT.get(gparts[1]) == cnt_i:
                # later parts of a group often carry only 'g:', so the group id alone is the key
                key = (b"g", gparts[2])
            else:  # no group, or one that contradicts the sentence's own part numbers
                key = (b"s", station, chan, seq, cnt_i)
            buf = self.fragments.get(key)
            if buf is not None and (num_i in buf[0] or buf[1] != cnt_i or self.line_no - buf[2] > maxdist):
                skipped["incomplete_multipart"] += len(buf[0])
                del self.fragments[key]
                buf = None
            if buf is None:
                buf = [{}, cnt_i, self.line_no, t, kind, station]
                self.fragments[key] = buf
                self.frag_order.append((self.line_no, key))
            buf[0][num_i] = (payload, fill_i)
            if buf[3] != buf[3] and t == t:
                buf[3], buf[4] = t, kind
            if len(buf[0]) == cnt_i:
                del self.fragments[key]
                parts = buf[0]
                full = b"".join(parts[i][0] for i in range(1, cnt_i + 1))
                used += self._message(full, parts[cnt_i][1], buf[3], buf[4], buf[5], cnt_i)
        acct.read += n_read
        acct.used += used
        self._expire_fragments(self.line_no - self.cfg.max_fragment_distance_lines)
        return self._flush_chunk()

    def _expire_fragments(self, before_line: int) -> None:
        order = self.frag_order
        while order and order[0][0] < before_line:
            start, key = order.popleft()
            buf = self.fragments.get(key)
            if buf is not None and buf[2] == start:
                self.acct.skipped["incomplete_multipart"] += len(buf[0])
                del self.fragments[key]

    # -- message level ----------------------------------------------------------------------
    def _message(self, payload: bytes, fill: int, t: float, kind: str, station: str | None, nlines: int) -> int:
        """Decode one assembled payload; return the number of lines it uses (0 if skipped)."""
        skipped = self.acct.skipped
        seen_t = self.seen.get(payload)
        if seen_t is not None and (t != t or seen_t != seen_t or abs(t - seen_t) <= self.cfg.dedup_window_s):
            skipped["duplicate"] += nlines
            return 0
        self.seen[payload] = t
        key = hash(payload)  # (cached by the lookup above) ties copies in other inputs to this row
        mtype = _SIXBIT[payload[0]]
        # ITU-R M.1371 defines types 1-27; pyais maps 0 and 28 onto other classes, so filter first
        cls = MSG_CLASS.get(mtype) if 1 <= mtype <= 27 else None
        if cls is None:
            skipped["unsupported_type"] += nlines
            return 0
        if len(payload) * 6 - fill < _MIN_BITS.get(mtype, 38):
            skipped["malformed"] += nlines
            return 0
        try:
            msg = cls.from_vector(bit_vector(payload, fill))
        except Exception:  # pyais raises assorted errors on corrupt bit fields
            skipped["malformed"] += nlines
            return 0
        self.acct.by_type[mtype] += 1
        self.acct.decoded += 1
        st = station or ""
        c = self.cols
        # Rows hold plain numbers, not pyais enums (TurnRate, NavigationStatus): a tuple of atomic
        # values drops out of the garbage collector, else full collections rescan every row kept.
        if mtype <= 3:
            c.pos.append((t, msg.mmsi, msg.lat, msg.lon, msg.speed, msg.course, msg.heading, float(msg.turn),
                          msg.accuracy, msg.raim, msg.second, int(msg.status), mtype, st, kind, self.line_no, nlines, key))
        elif mtype == 18 or mtype == 19:
            c.pos.append((t, msg.mmsi, msg.lat, msg.lon, msg.speed, msg.course, msg.heading, NAN,
                          msg.accuracy, msg.raim, msg.second, 15, mtype, st, kind, self.line_no, nlines, key))
            if mtype == 19:
                c.static.append(self._static(msg, t, 0, key))
        elif mtype == 27:
            c.pos.append((t, msg.mmsi, msg.lat, msg.lon, msg.speed, msg.course, NAN, NAN,
                          msg.accuracy, msg.raim, -1, int(msg.status), mtype, st, kind, self.line_no, nlines, key))
        elif mtype == 9:
            c.pos.append((t, msg.mmsi, msg.lat, msg.lon, msg.speed, msg.course, NAN, NAN,
                          msg.accuracy, msg.raim, msg.second, 15, mtype, st, kind, self.line_no, nlines, key))
        elif mtype == 21:
            c.pos.append((t, msg.mmsi, msg.lat, msg.lon, NAN, NAN, NAN, NAN,
                          msg.accuracy, msg.raim, msg.second, 15, mtype, st, kind, self.line_no, nlines, key))
        elif mtype in _STATIC_TYPES:
            c.static.append(self._static(msg, t, nlines, key))
        elif mtype == 4:
            c.bs.append({"time": t, "mmsi": msg.mmsi, "lat": msg.lat, "lon": msg.lon,
                         "y": msg.year, "mo": msg.month, "d": msg.day, "h": msg.hour, "mi": msg.minute,
                         "s": msg.second, "accuracy": int(msg.accuracy), "raim": int(msg.raim),
                         "epfd": int(msg.epfd), "station": st, "msg_type": 4,
                         "_line": self.line_no, "_nlines": nlines, "_key": key})
        return nlines

    def _static(self, msg, t: float, nlines: int, key: int) -> dict:
        d = {"time": t, "mmsi": msg.mmsi, "msg_type": msg.msg_type, "_line": self.line_no, "_nlines": nlines,
             "_key": key}
        for src, dst in (("shipname", "name"), ("callsign", "callsign"), ("destination", "destination")):
            v = getattr(msg, src, None)
            if v is not None:
                v = v.rstrip("@ ").strip()
                d[dst] = v or None
        for f in ("imo", "ship_type", "to_bow", "to_stern", "to_port", "to_starboard", "epfd", "draught"):
            v = getattr(msg, f, None)
            if v is not None:
                d[f] = float(v) if f == "draught" else int(v)
        if d.get("imo") == 0:
            d["imo"] = None
        return d

    # -- chunk level ------------------------------------------------------------------------
    def _flush_chunk(self) -> Batch:
        cols = self.cols
        self.cols = _Columns()
        if len(self.seen) > SEEN_PURGE_AT and self.last_time == self.last_time:
            horizon = self.last_time - self.cfg.dedup_window_s
            for k in [k for k, v in self.seen.items() if v < horizon]:
                del self.seen[k]
        batch = self._frames(cols)
        if not self.dated:
            self.undated_rows.append(batch)
            return Batch()
        if self.undated_rows:  # rows that came before the stream's first time: give them the first time
            held, self.undated_rows = self.undated_rows, []
            batch = _concat([*held, batch])
        self._fill_times(batch)
        return self._validate(batch)

    def finish(self) -> Batch:
        """Flush the stream's end: leftover fragments are incomplete; undated rows get dated."""
        for buf in self.fragments.values():
            self.acct.skipped["incomplete_multipart"] += len(buf[0])
        self.fragments.clear()
        self.frag_order.clear()
        batch = self._flush_chunk()
        if self.dated or not self.undated_rows:
            return batch
        held, self.undated_rows = self.undated_rows, []
        batch = _concat(held)
        if not any(len(df) for df in (batch.positions, batch.static, batch.base_stations)):
            return Batch()
        self._date_from_base_stations(batch)
        return self._validate(batch)

    def _frames(self, cols: _Columns) -> Batch:
        return Batch(_positions(cols.pos), pd.DataFrame(cols.static), pd.DataFrame(cols.bs))

    def _fill_times(self, batch: Batch) -> None:
        """Rows before the first time seen in the stream take that first time (which may have come
        on a line that made no row: a duplicate, a lone tag block)."""
        for df in (batch.positions, batch.static, batch.base_stations):
            if len(df) and df["time"].isna().any():
                df["time"] = df["time"].astype(float).bfill().ffill().fillna(self.first_time)
                if "time_source" in df:
                    df["time_source"] = df["time_source"].replace("", self.time_kind or "unknown")

    def _date_from_base_stations(self, batch: Batch) -> None:
        bs = batch.base_stations
        anchors = pd.DataFrame()
        if len(bs):
            utc = _bs_utc(bs)
            ok = utc.notna().to_numpy()
            anchors = pd.DataFrame({"line": bs["_line"].to_numpy()[ok], "t": unix_seconds(utc[ok])})
        if len(anchors):
            kind = "basestation"
            xs, ys = anchors["line"].to_numpy(float), anchors["t"].to_numpy()
            order = np.argsort(xs, kind="stable")
            xs, ys = xs[order], ys[order]
            # a stream's clock only moves forward: drop base stations whose clocks disagree by going back
            keep = ys >= np.maximum.accumulate(ys) - 1.0
            xs, ys = xs[keep], ys[keep]
            base = lambda lines: np.interp(lines, xs, ys)  # noqa: E731
        elif self.start is not None:
            kind = "start"
            base = lambda lines: np.full(len(lines), self.start, dtype=float)  # noqa: E731
        else:
            frames = [df for df in (batch.positions, batch.static, batch.base_stations) if len(df)]
            n_lines = int(sum(df["_nlines"].sum() for df in frames))
            self.acct.skipped["undated"] += n_lines
            self.acct.used -= n_lines
            n = int(sum((df["_nlines"] > 0).sum() for df in frames))
            raise UndatedError(
                f"{self.source}: no receive times ({n} messages, no tag blocks, $PGHP lines, line timestamps "
                "or base-station reports to date them); pass --start 2024-06-01T00:00:00Z (the time the "
                "recording began) to date it"
            )
        for df in (batch.positions, batch.static, batch.base_stations):
            if not len(df):
                continue
            t0 = base(df["_line"].to_numpy(float))
            if "second" in df:
                t0 = _refine_with_second(t0, df["second"].to_numpy(), rolling=kind == "start")
            df["time"] = t0
            if "time_source" in df:
                df["time_source"] = kind

    def _validate(self, batch: Batch) -> Batch:
        """Typed canonical frames; rows with out-of-range fields move to 'invalid_field'."""
        pos = batch.positions
        if len(pos):
            lat, lon, mmsi = pos["lat"].to_numpy(float), pos["lon"].to_numpy(float), pos["mmsi"].to_numpy()
            bad = ((mmsi <= 0) | (mmsi > 999_999_999)
                   | ~(((lat >= -90) & (lat <= 90)) | (lat == 91))
                   | ~(((lon >= -180) & (lon <= 180)) | (lon == 181)))
            if bad.any():
                self._drop_invalid(pos, bad)
                pos = pos[~bad]
            na = (pos["lat"] == 91) | (pos["lon"] == 181)
            pos = pos.assign(lat=pos["lat"].mask(na), lon=pos["lon"].mask(na))
            pos["device"] = pos["msg_type"].map(DEVICE_BY_TYPE)
            pos["time"] = utc_from_unix(pos["time"])
        positions = conform(pos, POSITION_DTYPES)
        if self.keys and "_key" in pos:
            positions[list(KEY_COLUMNS)] = pos[list(KEY_COLUMNS)].to_numpy()

        bs = self._valid_mmsi(batch.base_stations)
        if len(bs):
            bs = bs.assign(time=utc_from_unix(bs["time"]))
            utc = _bs_utc(bs)
            na = (bs["lat"] == 91) | (bs["lon"] == 181)
            bs = bs.assign(lat=bs["lat"].mask(na), lon=bs["lon"].mask(na), utc=utc,
                           utc_valid=utc.notna(),
                           utc_offset_s=(utc - bs["time"]).dt.total_seconds())
        base_stations = conform(bs, BASE_STATION_DTYPES)
        if self.keys and len(bs):
            base_stations[list(KEY_COLUMNS)] = bs[list(KEY_COLUMNS)].to_numpy()

        st = self._valid_mmsi(batch.static)
        if len(st):
            st = st.drop(columns=["_line"] if self.keys else ["_nlines", "_line", "_key"]).assign(
                time=utc_from_unix(st["time"]))
        return Batch(positions, st, base_stations)

    def _valid_mmsi(self, df: pd.DataFrame) -> pd.DataFrame:
        """Rows whose MMSI is a possible one (1..999,999,999); the others go to 'invalid_field'."""
        if not len(df):
            return df
        bad = ((df["mmsi"] <= 0) | (df["mmsi"] > 999_999_999)).to_numpy()
        if not bad.any():
            return df
        self._drop_invalid(df, bad)
        return df[~bad]

    def _drop_invalid(self, df: pd.DataFrame, bad: np.ndarray) -> None:
        # a type 19 is both a position and a static row; its lines count once (static rows carry 0)
        n_lines = int(df["_nlines"].to_numpy()[bad].sum())
        self.acct.used -= n_lines
        self.acct.skipped["invalid_field"] += n_lines
        counted = df.loc[bad & (df["_nlines"].to_numpy() > 0), "msg_type"]
        self.acct.decoded -= len(counted)
        for t, k in counted.value_counts().items():
            self.acct.by_type[int(t)] -= int(k)


def _positions(rows: list[tuple]) -> pd.DataFrame:
    """Position rows as a frame, AIS 'not available' codes to NaN (ITU-R M.1371-5), per message type."""
    a = np.array(rows, dtype=_POS_ROW)  # one pass in C; zip(*rows) would allocate an iterator per row
    mt = a["msg_type"]
    sog, cog, heading, rot = a["sog"], a["cog"], a["heading"], a["rot"]
    sog_na = np.where(mt == 27, 63.0, np.where(mt == 9, 1023.0, 102.3))
    cog_na = np.where(mt == 27, 511.0, 360.0)
    cols = {k: a[k] for k in _POS_ROW.names}
    cols.update(
        sog=np.where(sog >= sog_na - 1e-6, np.nan, sog),
        cog=np.where(cog >= cog_na, np.nan, cog),
        heading=np.where(heading >= 360, np.nan, heading),
        rot=np.where(np.abs(rot) >= 127, np.nan, rot),  # pyais: +-127/128 (no turn information) stay as raw codes
    )
    return pd.DataFrame(cols)


def _bs_utc(bs: pd.DataFrame) -> pd.Series:
    """The UTC a type 4 report claims, NaT when any field is 'not available' or not a real date
    of the AIS era (``ERA_S``: a clock gone wild, not a time to date reports by)."""
    parts = pd.DataFrame({"year": bs["y"], "month": bs["mo"], "day": bs["d"],
                          "hour": bs["h"], "minute": bs["mi"], "second": bs["s"]})
    first, last = (datetime.fromtimestamp(t, timezone.utc).year for t in ERA_S)
    na = ((parts["year"] < first) | (parts["year"] >= last) | (parts["month"] == 0) | (parts["day"] == 0)
          | (parts["hour"] >= 24) | (parts["minute"] >= 60) | (parts["second"] >= 60))
    utc = pd.to_datetime(parts.where(~na), errors="coerce", utc=True)
    return utc


def _refine_with_second(t0: np.ndarray, second: np.ndarray, rolling: bool) -> np.ndarray:
    """Put each report on its own UTC second, near the base time ``t0``.

    With base-station anchors, the report's second is placed within +-30 s of
    the interpolated time. From a bare start time (``rolling``), minutes advance
    whenever the second field goes backwards.
    """
    t = t0.astype(float).copy()
    ok = (second >= 0) & (second < 60)
    if rolling:
        s = np.where(ok, second, np.nan)
        s = pd.Series(s).ffill().fillna(0).to_numpy()
        minutes = np.concatenate([[0], np.cumsum(np.diff(s) < 0)])
        return t + minutes * 60.0 + s
    minute = np.floor(t / 60.0) * 60.0
    cand = minute + second
    cand = np.where(cand - t > 30, cand - 60, cand)
    cand = np.where(t - cand > 30, cand + 60, cand)
    return np.where(ok, cand, t)


def _concat(batches: list[Batch]) -> Batch:
    def cat(frames: list[pd.DataFrame]) -> pd.DataFrame:
        frames = [f for f in frames if len(f)]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return Batch(cat([b.positions for b in batches]), cat([b.static for b in batches]),
                 cat([b.base_stations for b in batches]))


def read_nmea(stream: BinaryIO, source: str, cfg: IngestConfig, acct: Accounting,
              start: float | None = None, seen: dict[bytes, float] | None = None,
              keys: bool = False) -> Iterator[Batch]:
    """Decode an NMEA log stream chunk by chunk (memory bounded by ``cfg.chunk_lines``); ``keys``:
    rows keep :data:`KEY_COLUMNS`."""
    dec = NmeaDecoder(source, cfg, acct, start, seen, keys)
    pending: list[bytes] = []

    def broken(exc: Exception) -> None:
        acct.warnings.append(ends_early(source, exc, f"the {acct.read + len(pending):,} lines before the break"))

    for lines in iter_line_blocks(stream, cfg.max_line_length, broken):
        pending.extend(lines)
        if len(pending) >= cfg.chunk_lines:
            yield dec.feed(pending)
            pending = []
    if pending:
        yield dec.feed(pending)
    yield dec.finish()
