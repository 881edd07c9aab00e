"""Readers for decoded (table) AIS sources: DMA aisdk CSV, NOAA MarineCadastre CSV, Digitraffic JSON.

Every reader is a generator of :class:`~gnss_watch.ingest.base.Batch` objects, one per
chunk of ``cfg.chunk_lines`` lines (CSV, JSON lines) or records (a JSON document), so
memory stays bounded for multi-GB CSV exports. Positions follow
:data:`~gnss_watch.schema.POSITION_DTYPES` with ``msg_type`` 0 and ``time_source``
'csv' or 'json'; ``static`` holds ``time, mmsi`` plus the VESSELS columns the source
carries; ``base_stations`` the DMA 'Base Station' rows (no type 4 UTC fields: ``utc``
NaT, ``utc_valid`` NA).

Accounting: every physical CSV line lands in one bucket ('header', 'blank', 'comment',
'too_long', 'malformed' for a line whose field count or quoting is broken,
'invalid_field' for a row with an unparsable time or an out-of-range MMSI, latitude or
longitude, else ``used``). ``by_type`` counts the rows handed over per table under the
keys 'position', 'static' and 'base_station'; a CSV row that carries both kinematics
and static columns adds to 'position' and (once per distinct static tuple and MMSI in
the chunk) to 'static'. ``decoded`` counts used records.

Text fields (names, call signs, destinations) are attacker controlled: they are kept
as given apart from stripping '@' padding and surrounding whitespace, never evaluated.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from ..config import IngestConfig
from ..schema import (
    BASE_STATION_DTYPES,
    COG_NA,
    DEVICE_BY_TYPE,
    LAT_NA,
    LON_NA,
    POSITION_DTYPES,
    SOG_NA,
    VESSEL_DTYPES,
    conform,
)
from .accounting import Accounting
from .base import CONTROL, ERA_S, INVISIBLE, READ_ERRORS, Batch, IngestError, ends_early
from .sources import HEADER_SEARCH_LINES

#: Columns of a ``Batch.static`` frame from these readers.
STATIC_DTYPES: dict[str, str] = {
    "time": "datetime64[ns, UTC]",
    **{c: d for c, d in VESSEL_DTYPES.items() if c != "n_static"},
}

#: A JSON line can hold a whole FeatureCollection: Digitraffic's full snapshot of
#: about 20,000 vessels is ~5 MB minified, so lines are allowed far beyond
#: ``ingest.max_line_length`` (which is sized for NMEA) but still bounded.
MAX_JSON_LINE_BYTES = 64 * 1024 * 1024

# Navigational status as the DMA aisdk CSV spells it (ITU-R M.1371-5 table 45), plus the
# other spellings of code 3; matched case-insensitively.
NAV_STATUS_TEXT: dict[str, int] = {
    "under way using engine": 0,
    "at anchor": 1,
    "not under command": 2,
    "restricted maneuverability": 3,
    "restricted manoeuvrability": 3,
    "restricted manoeuverability": 3,
    "constrained by her draught": 4,
    "moored": 5,
    "aground": 6,
    "engaged in fishing": 7,
    "under way sailing": 8,
    "reserved for future amendment [hsc]": 9,
    "reserved for future amendment [wig]": 10,
    "power-driven vessel towing astern": 11,
    "power-driven vessel pushing ahead or towing alongside": 12,
    "reserved for future use": 13,
    "ais-sart (active)": 14,
    "unknown value": 15,
}

# aisdk 'Ship type' labels -> ITU-R M.1371-5 table 53 code. A label that stands for a
# whole decade (Cargo 70-79, Tanker 80-89, ...) gets the decade's 'all ships of this
# type' code; 'Reserved' (1-19) and 'Undefined' are ambiguous and become NA.
SHIP_TYPE_TEXT: dict[str, int] = {
    "wig": 20,
    "fishing": 30,
    "towing": 31,
    "towing long/wide": 32,
    "dredging": 33,
    "diving": 34,
    "military": 35,
    "sailing": 36,
    "pleasure": 37,
    "hsc": 40,
    "pilot": 50,
    "sar": 51,
    "tug": 52,
    "port tender": 53,
    "anti-pollution": 54,
    "law enforcement": 55,
    "spare 1": 56,
    "spare 2": 57,
    "medical": 58,
    "not party to conflict": 59,
    "passenger": 60,
    "cargo": 70,
    "tanker": 80,
    "other": 90,
}

# aisdk 'Type of position fixing device' -> EPFD code (ITU-R M.1371-5 table 50).
# 'Undefined' is also what aisdk writes when no static report was seen, so it is NA.
EPFD_TEXT: dict[str, int] = {
    "gps": 1,
    "glonass": 2,
    "combined gps/glonass": 3,
    "loran-c": 4,
    "chayka": 5,
    "integrated navigation system": 6,
    "surveyed": 7,
    "galileo": 8,
    "internal gnss": 15,
}

# aisdk 'Type of mobile' -> POSITIONS.device ('Base Station' rows go to base_stations).
DEVICE_TEXT: dict[str, str] = {"class a": "A", "class b": "B", "sar airborne": "SAR", "aton": "AtoN"}
BASE_STATION_TEXT = "base station"

# aisdk writes these placeholders in mixed case; AIS 6-bit text is upper case only, so
# they can never be a transmitted name, call sign or destination.
DMA_PLACEHOLDERS = ("Unknown", "Undefined")

# Canonical columns read as text: free text must not be turned into numbers ('1E5' is a
# valid call sign) and the rest is matched or parsed as text.
TEXT_COLUMNS = frozenset(
    ("time", "mobile", "name", "callsign", "destination", "station", "device", "epfd", "ship_type", "nav_status", "imo")
)

# Header label (lower case, leading '#' removed) -> canonical column.
DMA_COLUMNS: dict[str, str] = {
    "timestamp": "time",
    "type of mobile": "mobile",
    "mmsi": "mmsi",
    "latitude": "lat",
    "longitude": "lon",
    "navigational status": "nav_status",
    "rot": "rot",
    "sog": "sog",
    "cog": "cog",
    "heading": "heading",
    "imo": "imo",
    "callsign": "callsign",
    "name": "name",
    "ship type": "ship_type",
    "type of position fixing device": "epfd",
    "draught": "draught",
    "destination": "destination",
    "data source type": "station",
    "a": "to_bow",
    "b": "to_stern",
    "c": "to_port",
    "d": "to_starboard",
}
DMA_REQUIRED = ("time", "mobile", "mmsi", "lat", "lon")

NOAA_COLUMNS: dict[str, str] = {
    "mmsi": "mmsi",
    "basedatetime": "time",
    "lat": "lat",
    "lon": "lon",
    "sog": "sog",
    "cog": "cog",
    "heading": "heading",
    "vesselname": "name",
    "imo": "imo",
    "callsign": "callsign",
    "vesseltype": "ship_type",
    "status": "nav_status",
    "draft": "draught",
    "transceiverclass": "device",
}
NOAA_REQUIRED = ("mmsi", "time", "lat", "lon")

# Digitraffic keys (REST v1 GeoJSON properties, MQTT vessels-v2 payloads, metadata).
_DT_POSITION_KEYS = ("lon", "lat")
_DT_STATIC_KEYS = (
    "name", "callSign", "imo", "shipType", "destination", "draught", "posType",
    "referencePointA", "referencePointB", "referencePointC", "referencePointD",
    "refA", "refB", "refC", "refD",
)  # fmt: skip
_DT_KEYS = frozenset(
    ("mmsi", "sog", "cog", "navStat", "rot", "posAcc", "raim", "heading", "timestamp", "timestampExternal", "time")
    + _DT_POSITION_KEYS
    + _DT_STATIC_KEYS
    + ("type",)
)
_DT_FLAGS = ("posAcc", "raim")
_JS_PREFIX = re.compile(r"^\s*(?:(?:var|let|const)\s+)?[A-Za-z_$][\w$.]*\s*=\s*")

# Epoch values above this are milliseconds, below it seconds (1e11 s is the year 5138,
# 1e11 ms is 1973).
_EPOCH_MS_THRESHOLD = 1e11
#: :data:`ERA_S` as times: outside it, a sentinel such as 9999-12-31 or a number that is
#: not a time counts as 'invalid_field' (and would not fit the nanosecond timestamps downstream).
_ERA = tuple(pd.Timestamp(t, unit="s", tz="UTC") for t in ERA_S)

_WS = np.zeros(256, dtype=bool)
_WS[[9, 10, 11, 12, 13, 32]] = True


# --------------------------------------------------------------------------- lines


def _line_chunks(stream: BinaryIO, chunk_lines: int, max_len: int, on_error: Callable[[Exception, bool], None],
                 head: bytes = b"") -> Iterator[bytes]:
    """Yield blocks of at most ``chunk_lines`` complete lines, each ending in '\\n'.

    A line longer than ``max_len`` is cut to ``max_len + 1`` bytes and the rest of it
    discarded while reading, so one endless line cannot exhaust memory; callers see
    it as one line longer than ``max_len``. ``head`` is content already read. A
    stream that breaks off (truncated gzip, corrupt zip member) ends there: the lines
    read whole are kept and ``on_error(exc, cut)`` is told why, and whether a line was
    cut off by the break (dropped: a number cut short would still parse).
    """
    block = max(1 << 16, chunk_lines * 128)
    buf, eof, skipping = head, False, False
    tail = len(buf) - (buf.rfind(b"\n") + 1)
    if tail > max_len + 1:
        buf, skipping = buf[: len(buf) - tail + max_len + 1], True
    while True:
        while not eof and buf.count(b"\n") < chunk_lines:
            try:  # read1 of at most 1 MiB: a stream that breaks loses only what its last read held
                data = stream.read1(min(block, 1 << 20)) if hasattr(stream, "read1") else stream.read(block)
            except READ_ERRORS as exc:
                last = buf.rfind(b"\n") + 1
                on_error(exc, last < len(buf))
                buf, data = buf[:last], b""
            if not data:
                eof = True
                break
            if skipping:
                nl = data.find(b"\n")
                if nl < 0:
                    continue
                data, skipping = data[nl:], False
            buf += data
            tail = len(buf) - (buf.rfind(b"\n") + 1)
            if tail > max_len + 1:
                buf, skipping = buf[: len(buf) - tail + max_len + 1], True
        if not buf:
            return
        if eof and not buf.endswith(b"\n"):
            buf += b"\n"
        ends = np.flatnonzero(np.frombuffer(buf, np.uint8) == 10)
        cut = int(ends[min(chunk_lines, len(ends)) - 1]) + 1
        chunk, buf = buf[:cut], buf[cut:]
        yield chunk


def _warn_break(acct: Accounting, source: str) -> Callable[[Exception, bool], None]:
    """``on_error`` for :func:`_line_chunks`: a warning that the input broke off; a line it
    cut short counts as read and 'malformed'."""
    def warn(exc: Exception, cut: bool) -> None:
        acct.warnings.append(ends_early(source, exc, "the lines before the break"))
        if cut:
            acct.read += 1
            acct.skipped["malformed"] += 1

    return warn


class _Lines:
    """The lines of one chunk as offsets into its bytes (ends exclude '\\r\\n')."""

    def __init__(self, chunk: bytes) -> None:
        self.chunk = chunk
        self.arr = np.frombuffer(chunk, np.uint8)
        nl = np.flatnonzero(self.arr == 10)
        self.starts = np.concatenate(([0], nl[:-1] + 1))
        cr = (nl > self.starts) & (self.arr[nl - 1] == 13)
        self.ends = nl - cr

    def __len__(self) -> int:
        return len(self.starts)

    def count(self, mask: np.ndarray) -> np.ndarray:
        """Per line, how many bytes inside it have ``mask`` set."""
        at = np.flatnonzero(mask)
        return np.searchsorted(at, self.ends) - np.searchsorted(at, self.starts)

    def text(self, i: int) -> str:
        return self.chunk[self.starts[i] : self.ends[i]].decode("utf-8", "replace")

    def gather(self, idx: np.ndarray) -> bytes:
        """The selected lines joined, each ended by a newline."""
        if not len(idx):
            return b""
        if idx[-1] - idx[0] + 1 == len(idx):  # one run of lines (the usual case): slice
            last = idx[-1] + 1
            end = self.starts[last] if last < len(self.starts) else len(self.chunk)
            return self.chunk[self.starts[idx[0]] : end]
        lens = self.ends[idx] - self.starts[idx] + 1
        first = np.cumsum(lens) - lens
        pos = np.arange(lens.sum()) - np.repeat(first, lens) + np.repeat(self.starts[idx], lens)
        out = self.arr[pos].copy()
        out[first + lens - 1] = 10
        return out.tobytes()


# ----------------------------------------------------------------------- CSV driver


def _squash(label: str) -> str:
    """A header label compared without case, a leading '#', spaces, '_' or '-'."""
    return re.sub(r"[\s_\-]+", "", label.strip().lstrip("#").strip().lower())


#: Field separators a header may use, in the order tried: comma, then the semicolon of
#: spreadsheets in decimal-comma locales, tab and pipe.
SEPARATORS = (",", ";", "\t", "|")


def _parse_header(line: str, columns: dict[str, str], required: tuple[str, ...]) -> tuple[dict[int, str], int, str]:
    """Field index -> canonical column, the field count and the separator; ({}, 0, ',') if
    not a header.

    A label matches ``columns`` as it is (lower case, leading '#' dropped) or squashed
    (:func:`_squash`). The separator is the first of :data:`SEPARATORS` that splits the
    line into labels naming every ``required`` column."""
    for sep in SEPARATORS:
        if sep not in line and sep != ",":
            continue
        try:
            labels = next(csv.reader([line.lstrip("\ufeff")], delimiter=sep), [])
        except csv.Error:
            continue
        found: dict[int, str] = {}
        for i, label in enumerate(labels):
            key = label.strip().lstrip("#").strip().lower()
            column = columns.get(key, columns.get(_squash(key)))
            if column is not None and column not in found.values():
                found[i] = column
        if all(c in found.values() for c in required):
            return found, len(labels), sep
    return {}, 0, ","


def _read_csv_table(
    stream: BinaryIO,
    source: str,
    cfg: IngestConfig,
    acct: Accounting,
    fmt: str,
    columns: dict[str, str],
    required: tuple[str, ...],
    convert: Callable[[pd.DataFrame], tuple[Batch, np.ndarray]],
) -> Iterator[Batch]:
    """Shared CSV reader: line accounting here, field conversion in ``convert``.

    ``convert(rows)`` gets the well-formed rows (canonical columns, NaN for empty
    fields) and returns the batch and a boolean mask of the rows it used; the others
    count as 'invalid_field'.
    """
    header_line: bytes | None = None
    fields: dict[int, str] = {}
    n_fields = n_before = 0
    sep = ","
    labels: dict[str, str] = {}
    for label, column in columns.items():
        labels.setdefault(column, label)  # the first spelling names it
    want = ", ".join(repr(labels[c]) for c in required)
    for chunk in _line_chunks(stream, cfg.chunk_lines, cfg.max_line_length, _warn_break(acct, source)):
        lines = _Lines(chunk)
        n = len(lines)
        acct.read += n
        length = lines.ends - lines.starts
        too_long = length > cfg.max_line_length
        blank = ~too_long & (lines.count(_WS[lines.arr]) == length)
        _skip(acct, "too_long", int(too_long.sum()))
        _skip(acct, "blank", int(blank.sum()))
        rest = ~too_long & ~blank
        if header_line is None:
            # The header is one of the first few non-blank lines; a title or 'sep=,'
            # line before it is not data.
            candidates = np.flatnonzero(rest)[: HEADER_SEARCH_LINES - n_before]
            for h in candidates:
                fields, n_fields, sep = _parse_header(lines.text(h), columns, required)
                if fields:
                    header_line = chunk[lines.starts[h] : lines.ends[h]]
                    break
            else:
                h = n
            before = rest.copy()
            before[h:] = False
            n_before += int(before.sum())
            _skip(acct, "malformed", int(before.sum()))
            rest &= ~before
            if header_line is None:
                if n_before >= HEADER_SEARCH_LINES:
                    raise IngestError(f"{source}: not a {fmt} CSV: no header naming {want} in its first lines")
                continue
            acct.skip("header")
            rest[h] = False
        # A repeated header (concatenated exports): compare only the lines that are as
        # long as the header and start like it.
        is_header = rest & (length == len(header_line))
        for k, byte in enumerate(header_line[:4]):
            is_header &= lines.arr[np.minimum(lines.starts + k, len(lines.arr) - 1)] == byte
        for i in np.flatnonzero(is_header):
            is_header[i] = chunk[lines.starts[i] : lines.ends[i]] == header_line
        rest &= ~is_header
        comment = rest & (lines.arr[lines.starts] == ord("#"))
        rest &= ~comment
        quotes = lines.count(lines.arr == ord('"'))
        # NUL and a lone '\r' would make the C parser split or merge rows.
        broken = (lines.count(lines.arr == 0) > 0) | (lines.count(lines.arr == 13) > 0) | (quotes % 2 == 1)
        plain = rest & ~broken & (quotes == 0)
        malformed = rest & (broken | (plain & (lines.count(lines.arr == ord(sep)) != n_fields - 1)))
        plain &= ~malformed
        quoted_idx = np.flatnonzero(rest & ~malformed & (quotes > 0))
        quoted_rows, quoted_ok = [], []
        for i in quoted_idx:  # rare: fields with quotes go through the csv module
            try:
                row = next(csv.reader([lines.text(i)], delimiter=sep), [])
            except csv.Error:  # e.g. a field beyond the csv module's size limit
                row = []
            if len(row) == n_fields:
                quoted_rows.append([row[j] or np.nan for j in fields])
                quoted_ok.append(i)
            else:
                malformed[i] = True
        rows = _frame(lines, np.flatnonzero(plain), fields, quoted_rows, np.asarray(quoted_ok, dtype=np.int64), sep)
        _skip(acct, "header", int(is_header.sum()))
        _skip(acct, "comment", int(comment.sum()))
        _skip(acct, "malformed", int(malformed.sum()))
        if not len(rows):
            continue
        batch, used = convert(rows)
        n_used = int(used.sum())
        acct.used += n_used
        acct.decoded += n_used
        _skip(acct, "invalid_field", len(rows) - n_used)
        _count_tables(acct, batch)
        yield batch
    if header_line is None:
        raise IngestError(f"{source}: not a {fmt} CSV: no header naming {want}")


def _frame(
    lines: _Lines,
    plain_idx: np.ndarray,
    fields: dict[int, str],
    quoted_rows: list[list[Any]],
    quoted_idx: np.ndarray,
    sep: str = ",",
) -> pd.DataFrame:
    """The well-formed rows in file order; NaN for empty fields.

    Numeric columns are parsed as float64 by the C parser; a chunk where one of them
    holds a non-number (or that holds 'true'/'false' anywhere) is parsed all as
    text, which the converters coerce per value, so a bad field invalidates its row,
    not the chunk. With a separator other than the comma, a decimal comma in a
    numeric field ('59,93') reads as a point.
    """
    names = list(fields.values())
    parts = []
    if len(plain_idx):
        data = lines.gather(plain_idx)
        as_text = {i: str for i in fields}
        low = data.lower()
        if b"true" in low or b"false" in low:  # the C parser would read True/False as 1.0/0.0
            df = _parse_plain(data, fields, as_text, sep)
        else:
            try:
                as_float = {i: str if c in TEXT_COLUMNS else "float64" for i, c in fields.items()}
                df = _parse_plain(data, fields, as_float, sep)
            except (ValueError, OverflowError):
                df = _parse_plain(data, fields, as_text, sep)
        df.columns = names
        if len(df) != len(plain_idx):  # the line filter above guarantees one row per line
            raise RuntimeError(f"CSV row count {len(df)} != {len(plain_idx)} lines")
        df.index = plain_idx
        parts.append(df)
    if quoted_rows:
        parts.append(pd.DataFrame(quoted_rows, columns=names, index=quoted_idx, dtype=object))
    if not parts:
        return pd.DataFrame(columns=names)
    rows = (pd.concat(parts).sort_index() if len(parts) > 1 else parts[0]).reset_index(drop=True)
    if sep != ",":
        for c in rows.columns.difference(list(TEXT_COLUMNS)):
            if not pd.api.types.is_numeric_dtype(rows[c]):
                rows[c] = rows[c].astype(object).str.replace(",", ".", regex=False)
    return rows


def _skip(acct: Accounting, reason: str, n: int) -> None:
    """Count ``n`` skipped lines, leaving no zero entries in the report."""
    if n:
        acct.skip(reason, n)


def _parse_plain(data: bytes, fields: dict[int, str], dtype: dict[int, Any], sep: str) -> pd.DataFrame:
    df = pd.read_csv(
        io.BytesIO(data),
        sep=sep,
        header=None,
        usecols=list(fields),
        dtype=dtype,
        keep_default_na=False,
        na_values=[""],
        quoting=csv.QUOTE_NONE,
        skip_blank_lines=False,
        engine="c",
        encoding="utf-8",
        encoding_errors="replace",
    )
    return df[list(fields)]


def _count_tables(acct: Accounting, batch: Batch) -> None:
    for key, table in (("position", batch.positions), ("static", batch.static), ("base_station", batch.base_stations)):
        if len(table):
            acct.by_type[key] += len(table)


# -------------------------------------------------------------------- conversions


def _col(rows: pd.DataFrame, name: str) -> pd.Series:
    """A column, or all-NaN when the source lacks it."""
    if name in rows.columns:
        return rows[name]
    return pd.Series(np.nan, index=rows.index, dtype=object)


def _per_value(f: Callable[..., pd.Series]) -> Callable[..., pd.Series]:
    """``f`` (an elementwise Series -> Series conversion) run once per distinct value and
    spread back: exports repeat a ship's name, type and status on every row, and the
    string methods behind ``f`` run in Python per element."""
    @functools.wraps(f)
    def once(s: pd.Series, *args: Any) -> pd.Series:
        # Text only: factorize takes -0.0 for 0.0 and 1 for True, which f may tell apart.
        text = isinstance(s.dtype, pd.StringDtype) or (
            s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"))
        if not text:
            return f(s, *args)
        codes, _ = pd.factorize(s, use_na_sentinel=False)  # NaN too is a value
        first = np.unique(codes, return_index=True)[1]  # codes number values by first row
        return f(s.iloc[first], *args).iloc[codes].set_axis(s.index)
    return once


def _num(s: pd.Series) -> pd.Series:
    """Float values; NaN where empty or unparsable."""
    return pd.to_numeric(s, errors="coerce").astype("float64")


@_per_value
def _utc(s: pd.Series, format: str) -> pd.Series:
    """Times in ``format`` as UTC, NaT where unparsable or outside :data:`_ERA`."""
    return _era(pd.to_datetime(s, format=format, utc=True, errors="coerce"))


@_per_value
def _imo(s: pd.Series) -> pd.Series:
    """IMO numbers, 'IMO9307839' or '9307839'; NaN unless 1..2^30-1."""
    return _int_in(s.astype("string").str.strip().str.upper().str.removeprefix("IMO").astype(object), 1, 2**30 - 1)


def _era(t: pd.Series) -> pd.Series:
    """UTC times, NaT outside :data:`_ERA`."""
    return t.where((t >= _ERA[0]) & (t < _ERA[1]))


def _int_in(s: pd.Series, lo: float, hi: float) -> pd.Series:
    """Integral values within [lo, hi] as float; NaN otherwise (castable to Int*)."""
    v = _num(s)
    return v.where((v >= lo) & (v <= hi) & (v == np.floor(v)))




@_per_value
def _text(s: pd.Series, placeholders: tuple[str, ...] = ()) -> pd.Series:
    """Text as given with control characters as spaces, without invisible format characters, '@'
    padding and surrounding whitespace; NaN when empty."""
    t = s.astype("string").str.replace(CONTROL, " ", regex=True).str.replace(INVISIBLE, "", regex=True)
    t = t.str.rstrip("@ \t").str.strip()
    t = t.where((t != "") & ~t.isin(placeholders))
    return t.astype(object).where(t.notna(), np.nan)


@_per_value
def _lower(s: pd.Series) -> pd.Series:
    """Labels stripped and lower-cased for matching ('' when missing)."""
    return s.astype("string").fillna("").str.strip().str.lower()


@_per_value
def _code(s: pd.Series, table: dict[str, Any]) -> pd.Series:
    """Look text labels up case-insensitively; NaN when not in ``table``."""
    return _lower(s).astype(object).map(table)


def _mmsi(s: pd.Series) -> pd.Series:
    """MMSI as float; NaN unless an integer in 1..999,999,999."""
    return _int_in(s, 1, 999_999_999)


def _coordinates(raw_lat: pd.Series, raw_lon: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """lat, lon with 'not available' (91 / 181) as NaN, and the mask of invalid rows.

    A coordinate that is present but unparsable or out of range invalidates the row;
    an absent one is simply unknown (NaN).
    """
    lat, lon = _num(raw_lat), _num(raw_lon)
    lat_na, lon_na = lat == LAT_NA, lon == LON_NA
    bad = (raw_lat.notna() & lat.isna()) | (raw_lon.notna() & lon.isna())
    bad |= ((lat.abs() > 90) & ~lat_na) | ((lon.abs() > 180) & ~lon_na)
    return lat.mask(lat_na), lon.mask(lon_na), bad


def _kinematics(rows: pd.DataFrame, keep: Any) -> dict[str, pd.Series]:
    """SOG (knots), COG and heading (degrees) of the ``keep`` rows; n/a and invalid -> NaN.

    SOG 102.3 is 'not available' (102.2 means 102.2 kn or more); COG 360 and heading
    511 are 'not available'; heading beyond 359 and COG beyond 360 are invalid.
    """
    sog, cog, heading = (_num(_col(rows, c))[keep] for c in ("sog", "cog", "heading"))
    return {
        "sog": sog.where((sog >= 0) & (sog < SOG_NA - 0.05)),
        "cog": cog.where((cog >= 0) & (cog < COG_NA)),
        "heading": heading.where((heading >= 0) & (heading < 360)),
    }


def _positions(rows: pd.DataFrame, **columns: Any) -> pd.DataFrame:
    """A POSITIONS frame for ``rows`` from the given columns (the rest: unknown)."""
    df = pd.DataFrame(columns, index=rows.index)
    df["msg_type"] = 0
    return conform(df, POSITION_DTYPES)


def _static(rows: pd.DataFrame, dedupe: bool, **columns: Any) -> pd.DataFrame:
    """Static rows for the ``rows`` that carry any static field.

    With ``dedupe`` (CSV exports repeat a vessel's static columns on every position
    row) only the last row of each distinct (MMSI, static fields) in the chunk is kept.
    """
    df = pd.DataFrame(columns, index=rows.index)
    info = [c for c in df.columns if c not in ("time", "mmsi")]
    df = df[df[info].notna().any(axis=1)] if info else df.iloc[:0]
    if dedupe and len(df):
        df = df.drop_duplicates(subset=["mmsi", *info], keep="last")
    return conform(df, STATIC_DTYPES).reset_index(drop=True)


def _dma(rows: pd.DataFrame) -> tuple[Batch, np.ndarray]:
    """DMA aisdk rows -> positions, static and base-station rows; the mask of rows used."""
    time = _utc(_col(rows, "time"), "%d/%m/%Y %H:%M:%S")
    mmsi = _mmsi(_col(rows, "mmsi"))
    lat, lon, bad = _coordinates(_col(rows, "lat"), _col(rows, "lon"))
    ok = (time.notna() & mmsi.notna() & ~bad).to_numpy()
    mobile = _lower(_col(rows, "mobile")).astype(object)
    base = (mobile == BASE_STATION_TEXT).to_numpy()
    station = _text(_col(rows, "station"))
    epfd = _int_in(_code(_col(rows, "epfd"), EPFD_TEXT), 0, 15)
    pos = ok & ~base
    p = rows[pos]
    positions = _positions(
        p,
        time=time[pos],
        mmsi=mmsi[pos],
        lat=lat[pos],
        lon=lon[pos],
        **_kinematics(rows, pos),
        rot=_num(_col(rows, "rot"))[pos],
        nav_status=_code(_col(rows, "nav_status"), NAV_STATUS_TEXT)[pos].fillna(-1),
        device=mobile[pos].map(DEVICE_TEXT).fillna("?"),
        station=station[pos],
        time_source="csv",
    )
    static = _static(
        p,
        dedupe=True,
        time=time[pos],
        mmsi=mmsi[pos],
        name=_text(_col(rows, "name"), DMA_PLACEHOLDERS)[pos],
        callsign=_text(_col(rows, "callsign"), DMA_PLACEHOLDERS)[pos],
        imo=_int_in(_col(rows, "imo"), 1, 2**30 - 1)[pos],
        ship_type=_code(_col(rows, "ship_type"), SHIP_TYPE_TEXT)[pos],
        to_bow=_int_in(_col(rows, "to_bow"), 0, 511)[pos],
        to_stern=_int_in(_col(rows, "to_stern"), 0, 511)[pos],
        to_port=_int_in(_col(rows, "to_port"), 0, 63)[pos],
        to_starboard=_int_in(_col(rows, "to_starboard"), 0, 63)[pos],
        epfd=epfd[pos],
        destination=_text(_col(rows, "destination"), DMA_PLACEHOLDERS)[pos],
        draught=_num(_col(rows, "draught"))[pos].where(lambda d: d > 0),
    )
    bs = ok & base
    b = rows[bs]
    base_stations = conform(
        pd.DataFrame(
            {
                "time": time[bs],
                "mmsi": mmsi[bs],
                "lat": lat[bs],
                "lon": lon[bs],
                "epfd": epfd[bs].fillna(-1),
                "station": station[bs],
            },
            index=b.index,
        ),
        BASE_STATION_DTYPES,
    )
    return Batch(positions.reset_index(drop=True), static, base_stations.reset_index(drop=True)), ok


def _noaa(rows: pd.DataFrame) -> tuple[Batch, np.ndarray]:
    """NOAA MarineCadastre rows -> positions and static rows; the mask of rows used."""
    time = _utc(_col(rows, "time"), "ISO8601")
    mmsi = _mmsi(_col(rows, "mmsi"))
    lat, lon, bad = _coordinates(_col(rows, "lat"), _col(rows, "lon"))
    ok = (time.notna() & mmsi.notna() & ~bad).to_numpy()
    p = rows[ok]
    device = _text(_col(rows, "device"))
    positions = _positions(
        p,
        time=time[ok],
        mmsi=mmsi[ok],
        lat=lat[ok],
        lon=lon[ok],
        **_kinematics(rows, ok),
        nav_status=_int_in(_col(rows, "nav_status"), 0, 15)[ok].fillna(-1),
        device=device[ok].where(device[ok].isin(("A", "B")), "?"),
        station="",
        time_source="csv",
    )
    static = _static(
        p,
        dedupe=True,
        time=time[ok],
        mmsi=mmsi[ok],
        name=_text(_col(rows, "name"))[ok],
        callsign=_text(_col(rows, "callsign"))[ok],
        imo=_imo(_col(rows, "imo"))[ok],
        # ITU codes 1..255; pre-2015 NAIS codes (1001..1025) are not ITU codes.
        ship_type=_int_in(_col(rows, "ship_type"), 1, 255)[ok],
        draught=_num(_col(rows, "draught"))[ok].where(lambda d: d > 0),
    )
    return Batch(positions.reset_index(drop=True), static), ok


def read_dma(stream: BinaryIO, source: str, cfg: IngestConfig, acct: Accounting) -> Iterator[Batch]:
    """Read a Danish Maritime Authority 'aisdk' CSV export.

    Header ``# Timestamp,Type of mobile,MMSI,Latitude,Longitude,...`` (the leading
    '# ' is optional; an unnamed leading index column, as pandas writes it, and
    unknown columns are ignored; A..D are optional). Timestamps are day-first UTC
    (``08/02/2018 00:00:00`` is 8 February). SOG knots, COG/heading degrees, ROT
    deg/min as DMA decoded it, draught and A..D metres. Navigational status, ship type
    and fixing device arrive as text and become ITU codes. 'Base Station' rows go to
    ``base_stations``; other types of mobile are positions (device 'A', 'B', 'SAR',
    'AtoN', else '?'). The 'Data source type' column becomes ``station``.
    Accounting unit: a physical line; lines above the header are 'malformed'. Raises
    IngestError when none of the first HEADER_SEARCH_LINES non-blank lines is a header
    naming Timestamp, Type of mobile, MMSI, Latitude and Longitude.
    """
    yield from _read_csv_table(stream, source, cfg, acct, "DMA aisdk", DMA_COLUMNS, DMA_REQUIRED, _dma)


def read_noaa(stream: BinaryIO, source: str, cfg: IngestConfig, acct: Accounting) -> Iterator[Batch]:
    """Read a NOAA MarineCadastre (AccessAIS) CSV export.

    Header ``MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,
    VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass``; BaseDateTime is ISO
    8601 UTC. SOG knots, COG/Heading degrees (511 -> NaN), Status is the navigational
    status code, Draft metres, IMO as 'IMO1234567', TransceiverClass 'A'/'B' becomes
    the device. Length/Width are not split into A..D, so the static rows leave
    ``to_bow``.. NA. Accounting unit: a physical line; lines above the header are
    'malformed'. Raises IngestError when none of the first HEADER_SEARCH_LINES
    non-blank lines is a header naming MMSI, BaseDateTime, LAT and LON.
    """
    yield from _read_csv_table(stream, source, cfg, acct, "NOAA MarineCadastre", NOAA_COLUMNS, NOAA_REQUIRED, _noaa)


# ----------------------------------------------------------------- AISdb / exactEarth

#: Decoded per-message CSV as AISdb and exactEarth satellite exports write it: one row
#: per AIS message, ``Message_ID`` its type, fields named after ITU-R M.1371.
AISDB_COLUMNS: dict[str, str] = {
    "mmsi": "mmsi", "message_id": "msg_type", "time": "time", "millisecond": "ms",
    "longitude": "lon", "latitude": "lat", "sog": "sog", "cog": "cog", "heading": "heading",
    "rot": "rot", "navigational_status": "nav_status", "accuracy": "accuracy", "raim_flag": "raim",
    "vessel_name": "name", "call_sign": "callsign", "imo": "imo", "ship_type": "ship_type",
    "dimension_to_bow": "to_bow", "dimension_to_stern": "to_stern", "dimension_to_port": "to_port",
    "dimension_to_starboard": "to_starboard", "draught": "draught", "destination": "destination",
    "fixing_device": "epfd", "utc_year": "utc_year", "utc_month": "utc_month", "utc_day": "utc_day",
    "utc_hour": "utc_hour", "utc_minute": "utc_minute", "utc_second": "second",
}  # fmt: skip
AISDB_REQUIRED = ("mmsi", "msg_type", "time", "lon", "lat")


def _aisdb(rows: pd.DataFrame) -> tuple[Batch, np.ndarray]:
    """AISdb/exactEarth rows -> positions, static rows and base stations by message type."""
    stamp = pd.to_datetime(_col(rows, "time"), format="%Y%m%d_%H%M%S", utc=True, errors="coerce")
    time = _era(stamp + pd.to_timedelta(_num(_col(rows, "ms")).fillna(0).clip(0, 999), unit="ms"))
    mmsi = _mmsi(_col(rows, "mmsi"))
    mtype = _int_in(_col(rows, "msg_type"), 1, 27)
    lat, lon, bad = _coordinates(_col(rows, "lat"), _col(rows, "lon"))
    ok = (time.notna() & mmsi.notna() & mtype.notna() & ~bad).to_numpy()
    t = mtype.fillna(0).astype(int).to_numpy()
    pos = ok & np.isin(t, list(DEVICE_BY_TYPE))
    p = rows[pos]
    kin = _kinematics(rows, pos)
    sog = kin["sog"].where(~((t[pos] == 27) & (kin["sog"] >= 63)))  # type 27: 63 kn is 'not available'
    positions = _positions(
        p, time=time[pos], mmsi=mmsi[pos], lat=lat[pos], lon=lon[pos], sog=sog, cog=kin["cog"],
        heading=kin["heading"], rot=_num(_col(rows, "rot"))[pos],
        accuracy=_int_in(_col(rows, "accuracy"), 0, 1)[pos].fillna(-1),
        raim=_int_in(_col(rows, "raim"), 0, 1)[pos].fillna(-1),
        second=_int_in(_col(rows, "second"), 0, 63)[pos].fillna(-1),
        nav_status=_int_in(_col(rows, "nav_status"), 0, 15)[pos].fillna(15),
        device=pd.Series(t[pos], index=p.index).map(DEVICE_BY_TYPE), station="", time_source="csv",
    ).assign(msg_type=t[pos])
    stat = ok & np.isin(t, (5, 19, 24))
    static = _static(
        rows[stat], dedupe=False, time=time[stat], mmsi=mmsi[stat],
        name=_text(_col(rows, "name"))[stat], callsign=_text(_col(rows, "callsign"))[stat],
        imo=_int_in(_col(rows, "imo"), 1, 2**30 - 1)[stat], ship_type=_int_in(_col(rows, "ship_type"), 1, 255)[stat],
        to_bow=_int_in(_col(rows, "to_bow"), 0, 511)[stat], to_stern=_int_in(_col(rows, "to_stern"), 0, 511)[stat],
        to_port=_int_in(_col(rows, "to_port"), 0, 63)[stat],
        to_starboard=_int_in(_col(rows, "to_starboard"), 0, 63)[stat],
        epfd=_int_in(_col(rows, "epfd"), 0, 15)[stat],
        draught=(_num(_col(rows, "draught"))[stat] / 10).where(lambda d: d > 0),  # 1/10 m as transmitted
        destination=_text(_col(rows, "destination"))[stat],
    )
    bs = ok & (t == 4)
    b = rows[bs]
    parts = {k: _num(_col(b, f"utc_{k}")) for k in ("year", "month", "day", "hour", "minute")}
    parts["second"] = _num(_col(b, "second"))
    utc = _era(pd.to_datetime(pd.DataFrame(parts), errors="coerce", utc=True)) if len(b) else pd.Series(
        dtype="datetime64[ns, UTC]")
    base = conform(pd.DataFrame({
        "time": time[bs], "mmsi": mmsi[bs], "lat": lat[bs], "lon": lon[bs], "utc": utc,
        "utc_valid": utc.notna(), "utc_offset_s": (utc - time[bs]).dt.total_seconds(),
        "accuracy": _int_in(_col(b, "accuracy"), 0, 1).fillna(-1), "raim": _int_in(_col(b, "raim"), 0, 1).fillna(-1),
        "epfd": _int_in(_col(b, "epfd"), 0, 15).fillna(-1), "station": "",
    }, index=b.index), BASE_STATION_DTYPES)
    return Batch(positions.reset_index(drop=True), static, base.reset_index(drop=True)), ok


def read_aisdb(stream: BinaryIO, source: str, cfg: IngestConfig, acct: Accounting) -> Iterator[Batch]:
    """Read a decoded per-message CSV as AISdb and exactEarth satellite exports write it.

    Header ``MMSI,Message_ID,Repeat_indicator,Time,Millisecond,...`` (about 140
    columns, one row per AIS message of any type). ``Time`` is ``YYYYmmdd_HHMMSS``
    UTC plus ``Millisecond``. Types 1-3, 9, 18, 19, 21, 27 become positions (91/181
    'not available' -> NaN, 'None' -> NaN), 5/19/24 static rows (Draught in 1/10 m),
    4 base stations with their reported UTC. Other types are decoded rows without a
    table. Accounting unit: a physical line.
    """
    yield from _read_csv_table(stream, source, cfg, acct, "AISdb", AISDB_COLUMNS, AISDB_REQUIRED, _aisdb)


# ------------------------------------------------------------------- generic CSV

#: Header labels of a decoded position CSV as other tools and exports name them
#: (compared lower case, with spaces, '_' and '-' removed) -> canonical column.
_GENERIC_LABELS: dict[str, tuple[str, ...]] = {
    "mmsi": ("mmsi", "userid", "user id", "mmsi number"),
    "time": ("time", "timestamp", "datetime", "date time", "basedatetime", "ts", "time utc", "utc time",
             "timestamp utc", "received time", "recorded at", "date time utc", "time stamp", "epoch",
             "epoch time", "unix time", "unix timestamp", "msg time", "position time"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "long", "lng", "longitude"),
    "sog": ("sog", "speed", "speed over ground", "sog knots", "speed knots"),
    "cog": ("cog", "course", "course over ground"),
    "heading": ("heading", "hdg", "true heading"),
    "rot": ("rot", "rate of turn"),
    "nav_status": ("nav status", "navigational status", "navigation status", "status", "navstat"),
    "second": ("second", "utc second", "timestamp second"),
    "accuracy": ("accuracy", "position accuracy", "pos accuracy"),
    "raim": ("raim", "raim flag"),
    "msg_type": ("msg type", "message type", "message id", "msgtype"),
    "device": ("class", "ais class", "transceiver class", "transceiver", "device"),
    "name": ("name", "ship name", "vessel name"),
    "callsign": ("callsign", "call sign"),
    "imo": ("imo", "imo number"),
    "ship_type": ("ship type", "vessel type", "shiptype"),
    "destination": ("destination",),
    "draught": ("draught", "draft"),
}


GENERIC_COLUMNS: dict[str, str] = {_squash(a): c for c, names in _GENERIC_LABELS.items() for a in names}
GENERIC_REQUIRED = ("mmsi", "time", "lat", "lon")
_BOOL_TEXT = {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "false": 0, "true": 1}


def generic_header(line: str) -> bool:
    """Whether a CSV header line names an MMSI, a time, a latitude and a longitude column."""
    return bool(_parse_header(line, GENERIC_COLUMNS, GENERIC_REQUIRED)[0])


def _epoch_or_iso(s: pd.Series) -> pd.Series:
    """UTC times from unix epoch numbers (seconds, or milliseconds above 1e11) or ISO 8601
    text (no offset: UTC); NaT otherwise (day-first or month-first dates are ambiguous,
    compact 20240601120005 stamps are no epoch) and outside :data:`_ERA`."""
    num = _num(s)
    iso = _era(pd.to_datetime(s.where(num.isna()).astype(object), format="ISO8601", utc=True, errors="coerce"))
    return _epoch_from(num).where(num.notna(), iso)


def _generic(rows: pd.DataFrame, unread_times: list[int]) -> tuple[Batch, np.ndarray]:
    """Generic decoded CSV rows -> positions, static rows and (message type 4) base stations.

    Adds the number of rows whose time was given but could not be read to ``unread_times[0]``."""
    raw_time = _col(rows, "time")
    time = _epoch_or_iso(raw_time)
    unread_times[0] += int((raw_time.notna() & time.isna()).sum())
    mmsi = _mmsi(_col(rows, "mmsi"))
    lat, lon, bad = _coordinates(_col(rows, "lat"), _col(rows, "lon"))
    mtype = _int_in(_col(rows, "msg_type"), 1, 27)
    ok = (time.notna() & mmsi.notna() & ~bad).to_numpy()
    t = mtype.to_numpy()
    base = ok & (t == 4)
    pos = ok & (np.isnan(t) | np.isin(t, list(DEVICE_BY_TYPE)))
    p = rows[pos]
    klass = _lower(_col(rows, "device")).str.removeprefix("class").str.strip().str.upper()
    device = mtype.map(DEVICE_BY_TYPE).fillna(klass.where(klass.isin(("A", "B")))).fillna("?")
    nav = _int_in(_col(rows, "nav_status"), 0, 15).fillna(_code(_col(rows, "nav_status"), NAV_STATUS_TEXT))
    kin = _kinematics(rows, pos)
    kin["sog"] = kin["sog"].where(~((t[pos] == 27) & (kin["sog"] >= 63)))  # type 27: 63 kn is 'not available'
    positions = _positions(
        p, time=time[pos], mmsi=mmsi[pos], lat=lat[pos], lon=lon[pos], **kin,
        rot=_num(_col(rows, "rot"))[pos], nav_status=nav[pos].fillna(-1),
        second=_int_in(_col(rows, "second"), 0, 63)[pos].fillna(-1),
        accuracy=_int_in(_code(_col(rows, "accuracy"), _BOOL_TEXT), 0, 1)[pos].fillna(-1),
        raim=_int_in(_code(_col(rows, "raim"), _BOOL_TEXT), 0, 1)[pos].fillna(-1),
        device=device[pos], station="", time_source="csv",
    ).assign(msg_type=mtype[pos].fillna(0).astype(int).to_numpy())
    ship = ok & ~base
    static = _static(
        rows[ship], dedupe=True, time=time[ship], mmsi=mmsi[ship],
        name=_text(_col(rows, "name"))[ship], callsign=_text(_col(rows, "callsign"))[ship],
        imo=_imo(_col(rows, "imo"))[ship],
        ship_type=_int_in(_col(rows, "ship_type"), 1, 255).fillna(
            _code(_col(rows, "ship_type"), SHIP_TYPE_TEXT))[ship],
        destination=_text(_col(rows, "destination"))[ship],
        draught=_num(_col(rows, "draught"))[ship].where(lambda d: d > 0),
    )
    b = rows[base]
    base_stations = conform(pd.DataFrame({"time": time[base], "mmsi": mmsi[base], "lat": lat[base],
                                          "lon": lon[base], "station": ""}, index=b.index), BASE_STATION_DTYPES)
    return Batch(positions.reset_index(drop=True), static, base_stations.reset_index(drop=True)), ok


def read_generic(stream: BinaryIO, source: str, cfg: IngestConfig, acct: Accounting) -> Iterator[Batch]:
    """Read a decoded AIS CSV of no particular origin, one row per report.

    The header names at least an MMSI, a time, a latitude and a longitude column, in
    any order and under the common spellings of :data:`_GENERIC_LABELS`
    (``mmsi,timestamp,lat,lon,sog,cog,heading`` or ``MMSI,Time,Latitude,Longitude``;
    case, spaces, '_' and '-' do not matter); other columns are ignored. Times are
    ISO 8601 (no offset means UTC) or unix epoch seconds or milliseconds; a
    day-first or month-first date is ambiguous and counts as 'invalid_field'. SOG
    knots, COG/heading degrees; 91/181 and the other AIS 'not available' values
    mean unknown. Optional columns: UTC second (61-63 say the fix is manual,
    dead-reckoned or lost), accuracy and RAIM (0/1 or true/false), navigational
    status and ship type (ITU codes or DMA's text), message type (4: a base
    station, 5/24: static only, else a position; it gives the class), class ('A',
    'B', 'Class A'; where no message type says), name, call sign, IMO, destination,
    draught (metres).
    Fields are separated by commas, or by semicolons (then a decimal comma reads as a
    point), tabs or pipes, whichever the header uses. Accounting unit: a physical line.
    """
    unread = [0]
    yield from _read_csv_table(stream, source, cfg, acct, "decoded AIS", GENERIC_COLUMNS, GENERIC_REQUIRED,
                               lambda rows: _generic(rows, unread))
    if unread[0]:
        acct.warnings.append(f"{source}: {unread[0]:,} rows have a time that is neither ISO 8601 nor unix "
                             "seconds/milliseconds within 1990..2100 (day- and month-first dates are ambiguous); "
                             "counted as invalid_field")


# ---------------------------------------------------------------------- Digitraffic


def _expand(value: Any, depth: int = 0) -> list[Any]:
    """The records in a JSON value: a FeatureCollection's features, a list's items."""
    if isinstance(value, list) and depth < 2:
        return [r for v in value for r in _expand(v, depth + 1)]
    if isinstance(value, dict) and value.get("type") == "FeatureCollection":
        feats = value.get("features")
        return list(feats) if isinstance(feats, list) else [None]
    return [value]


def _flatten(rec: Any) -> dict[str, Any] | None:
    """One record as a flat dict of known scalar keys; None when it is not a record.

    A GeoJSON Feature brings its properties, ``mmsi`` (from the properties or, as in
    older snapshots, the feature itself) and lon/lat from a Point geometry.
    """
    if not isinstance(rec, dict):
        return None
    out = rec
    if rec.get("type") == "Feature":
        props = rec.get("properties")
        out = dict(props) if isinstance(props, dict) else {}
        out.setdefault("mmsi", rec.get("mmsi"))
        out.pop("type", None)
        geom = rec.get("geometry")
        coords = geom.get("coordinates") if isinstance(geom, dict) else None
        if isinstance(coords, list) and len(coords) >= 2:
            out["lon"], out["lat"] = coords[0], coords[1]
    flat = {
        k: _scalar(k, v) for k, v in out.items()
        if k in _DT_KEYS and (v is None or isinstance(v, (int, float, str)))
    }
    return flat or None


def _scalar(key: str, v: Any) -> Any:
    """A JSON value as the tables take it. A boolean is only meaningful as a flag (elsewhere it
    must not read as 1/0); an integer beyond 64 bits is no value (JSON allows any size); text
    keeps no lone surrogate ('\\ud800' is valid JSON but no text)."""
    if isinstance(v, bool):
        return v if key in _DT_FLAGS else str(v)
    if isinstance(v, int) and not -(2**63) <= v < 2**63:
        return None
    if isinstance(v, str) and not v.isascii():
        return v.encode("utf-8", "replace").decode("utf-8")
    return v


def _epoch(s: pd.Series) -> pd.Series:
    """Epoch seconds or milliseconds (told apart by size) -> UTC time; NaT if invalid or outside :data:`_ERA`."""
    return _epoch_from(_num(s))


def _epoch_from(v: pd.Series) -> pd.Series:
    """:func:`_epoch` of numbers already parsed (NaN: none)."""
    ms = v.where(v > _EPOCH_MS_THRESHOLD, v * 1000.0)
    lo, hi = (t.value / 1e6 for t in _ERA)
    return pd.to_datetime(ms.where((ms >= lo) & (ms < hi)), unit="ms", utc=True)


def _rot_from_ais(raw: pd.Series) -> pd.Series:
    """Digitraffic's raw ROT_AIS (-128..127) -> deg/min the way pyais decodes it.

    ROT = sign * (ROT_AIS / 4.733)^2 rounded; +-127 (turning faster than 5 deg/30 s
    without a turn indicator) stays +-127 as pyais's TurnRate does; -128 (and 128,
    which some snapshots carry) is 'not available'.
    """
    r = _int_in(raw, -127, 127)
    return pd.Series(np.where(r.abs() == 127, r, np.copysign(np.round((r / 4.733) ** 2), r)), index=r.index)


def _bool_flag(s: pd.Series) -> pd.Series:
    """JSON true/false (or 1/0) -> 1/0; -1 when absent."""
    v = _int_in(s, 0, 1)
    return v.fillna(-1)


def digitraffic_batch(records: list[Any], acct: Accounting) -> Batch | None:
    """Convert one chunk of records; account each as used, malformed or invalid_field."""
    flat = [_flatten(r) for r in records]
    good = [f for f in flat if f is not None]
    _skip(acct, "malformed", len(flat) - len(good))
    if not good:
        return None
    rows = pd.DataFrame.from_records(good)
    mmsi = _mmsi(_col(rows, "mmsi"))
    lat, lon, bad = _coordinates(_col(rows, "lat"), _col(rows, "lon"))
    ext = _col(rows, "timestampExternal")
    pos_time = _epoch(ext.where(ext.notna(), _col(rows, "time")))
    meta_time = _epoch(_col(rows, "timestamp"))

    def ref(v1: str, v2: str, hi: int) -> pd.Series:
        a = _col(rows, v1)
        return _int_in(a.where(a.notna(), _col(rows, v2)), 0, hi)

    ship = _col(rows, "shipType")
    static_fields = {
        "name": _text(_col(rows, "name")),
        "callsign": _text(_col(rows, "callSign")),
        "imo": _int_in(_col(rows, "imo"), 1, 2**30 - 1),
        # v1 'shipType', v2 'type' (a Feature's own 'type' was dropped in _flatten).
        "ship_type": _int_in(ship.where(ship.notna(), _col(rows, "type")), 1, 255),
        "to_bow": ref("referencePointA", "refA", 511),
        "to_stern": ref("referencePointB", "refB", 511),
        "to_port": ref("referencePointC", "refC", 63),
        "to_starboard": ref("referencePointD", "refD", 63),
        "epfd": _int_in(_col(rows, "posType"), 0, 15),
        "destination": _text(_col(rows, "destination")),
        # Digitraffic draught is in 1/10 m, 0 = not available.
        "draught": _int_in(_col(rows, "draught"), 1, 255) / 10.0,
    }
    is_pos = lat.notna() | lon.notna() | bad
    is_static = ~is_pos & pd.DataFrame(static_fields).notna().any(axis=1)
    _skip(acct, "malformed", int((~is_pos & ~is_static).sum()))
    pos_ok = is_pos & pos_time.notna() & mmsi.notna() & ~bad
    st_ok = is_static & meta_time.notna() & mmsi.notna()
    n_used = int((pos_ok | st_ok).sum())
    acct.used += n_used
    acct.decoded += n_used
    _skip(acct, "invalid_field", int((is_pos | is_static).sum()) - n_used)

    positions = _positions(
        rows[pos_ok],
        time=pos_time[pos_ok],
        mmsi=mmsi[pos_ok],
        lat=lat[pos_ok],
        lon=lon[pos_ok],
        **_kinematics(rows, pos_ok),
        rot=_rot_from_ais(_col(rows, "rot"))[pos_ok],
        accuracy=_bool_flag(_col(rows, "posAcc"))[pos_ok],
        raim=_bool_flag(_col(rows, "raim"))[pos_ok],
        # In a location 'timestamp' is the AIS UTC-second field.
        second=_int_in(_col(rows, "timestamp"), 0, 63)[pos_ok].fillna(-1),
        nav_status=_int_in(_col(rows, "navStat"), 0, 15)[pos_ok].fillna(-1),
        device="?",
        station="",
        time_source="json",
    )
    static = _static(
        rows[st_ok],
        dedupe=False,
        time=meta_time[st_ok],
        mmsi=mmsi[st_ok],
        **{k: v[st_ok] for k, v in static_fields.items()},
    )
    batch = Batch(positions=positions.reset_index(drop=True), static=static)
    _count_tables(acct, batch)
    return batch


def read_digitraffic(stream: BinaryIO, source: str, cfg: IngestConfig, acct: Accounting) -> Iterator[Batch]:
    """Read Finnish Digitraffic (Fintraffic) AIS JSON.

    Accepted layouts: a GeoJSON FeatureCollection of vessel locations (REST
    ``/api/ais/v1/locations``), a list of FeatureCollections or records, the same
    behind a JavaScript ``var x = ...;`` wrapper, and JSON lines, each a record or a
    FeatureCollection. Records are locations (Feature with a Point [lon, lat] and
    properties, or the MQTT vessels-v2 location payload with ``lon``/``lat``/``time``
    plus an ``mmsi`` key) or metadata (``name, callSign, imo, shipType``/``type``,
    ``destination, draught, posType, referencePointA..D``/``refA..D, timestamp``).

    Units as Digitraffic documents them: ``sog`` knots (102.3 n/a), ``cog`` degrees
    (360 n/a), ``heading`` degrees (511 n/a), ``rot`` the raw ROT_AIS -128..127
    (converted to deg/min), ``timestamp`` in a location the AIS UTC-second field 0..63
    (-> ``second``), ``timestampExternal`` ms since the epoch, v2 ``time`` seconds,
    metadata ``timestamp`` ms, ``draught`` 1/10 m.

    Accounting unit: a record (a feature, a list item, or a JSON line holding one
    record), since a whole file may be one line; a blank or unparsable JSON line counts
    as one, an empty FeatureCollection as none. A single JSON document is parsed whole (Digitraffic snapshots are a few
    MB); JSON lines stream in chunks. Raises IngestError when the input holds no JSON.
    """
    size = 1 << 16
    head = stream.read(size).removeprefix(b"\xef\xbb\xbf")
    pieces = head.split(b"\n")
    complete = pieces if len(head) < size - 3 else pieces[:-1]  # the whole input, or whole lines
    first = [p for p in complete if p.strip()][:HEADER_SEARCH_LINES]
    # JSON lines when one of the first lines is a JSON object or array on its own; a
    # pretty-printed or JavaScript-wrapped document has no such line.
    if any(isinstance(_loads(p), (dict, list)) for p in first):
        for chunk in _line_chunks(stream, cfg.chunk_lines, MAX_JSON_LINE_BYTES, _warn_break(acct, source), head):
            records: list[Any] = []
            for line in chunk[:-1].split(b"\n"):
                acct.read += 1
                if not line.strip():
                    acct.skip("blank")
                elif len(line) > MAX_JSON_LINE_BYTES:
                    acct.skip("too_long")
                else:
                    value = _loads(line)
                    if value is None:
                        acct.skip("malformed")
                    else:
                        recs = _expand(value)
                        acct.read += len(recs) - 1
                        records.extend(recs)
            batch = digitraffic_batch(records, acct)
            if batch is not None:
                yield batch
        return
    yield from _digitraffic_document(head + stream.read(), source, cfg, acct)


def _loads(data: bytes) -> Any:
    """Parse JSON; None when it is not JSON (or nests too deep)."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def _digitraffic_document(data: bytes, source: str, cfg: IngestConfig, acct: Accounting) -> Iterator[Batch]:
    text = data.decode("utf-8", "replace").lstrip("\ufeff")
    m = _JS_PREFIX.match(text)
    pos = m.end() if m else 0
    decoder = json.JSONDecoder()
    records: list[Any] = []
    n_values = 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n;,":
            pos += 1
        if pos >= len(text):
            break
        try:
            value, pos = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError) as exc:
            if n_values == 0:
                raise IngestError(f"{source}: not Digitraffic JSON ({str(exc).splitlines()[0][:100]})") from None
            # Garbage between or after JSON values: skip its line, go on with the next.
            acct.read += 1
            acct.skip("malformed")
            nl = text.find("\n", pos)
            pos = len(text) if nl < 0 else nl + 1
            continue
        n_values += 1
        records.extend(_expand(value))
    if n_values == 0:
        raise IngestError(f"{source}: no JSON value (the input is empty or blank)")
    acct.read += len(records)
    step = max(1, cfg.chunk_lines)
    for i in range(0, len(records), step):
        batch = digitraffic_batch(records[i : i + step], acct)
        if batch is not None:
            yield batch
