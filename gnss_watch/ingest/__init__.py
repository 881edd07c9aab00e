"""Ingest: every common AIS source into the canonical tables (:mod:`gnss_watch.schema`).

>>> ds = read(["day1.nmea.gz", "aisdk-2024-06-01.csv"])      # doctest: +SKIP
>>> ds.positions.head(); ds.vessels; ds.base_stations; ds.accounting.to_dict()

Formats are told apart by content (``format="auto"``): NMEA 0183 logs, the
Danish Maritime Authority's aisdk CSV, NOAA MarineCadastre CSV, AISdb /
exactEarth decoded CSV, any decoded CSV naming MMSI, time, latitude and
longitude columns, and Finland's Digitraffic JSON. gzip, bz2 and zip are opened transparently; ``-`` reads
stdin. Inputs stream in chunks, so memory is bounded by the output tables.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from ..config import Config, IngestConfig
from ..schema import BASE_STATION_DTYPES, POSITION_DTYPES, VESSEL_DTYPES, conform, empty, unix_seconds
from .accounting import SKIP_REASONS, Accounting
from .base import ERA_S, READ_ERRORS, Batch, IngestError, NotAISError, UndatedError
from .nmea import KEY_COLUMNS, NmeaDecoder, read_nmea
from .sources import FORMATS, expand, open_sources

__all__ = ["read", "Dataset", "Accounting", "SKIP_REASONS", "IngestError", "NotAISError", "UndatedError",
           "NmeaDecoder", "FORMATS", "fold_vessels"]


@dataclass
class Dataset:
    """What ingest returns: the canonical tables plus the accounting of every line."""

    positions: pd.DataFrame = field(default_factory=lambda: empty(POSITION_DTYPES))
    vessels: pd.DataFrame = field(default_factory=lambda: empty(VESSEL_DTYPES))
    base_stations: pd.DataFrame = field(default_factory=lambda: empty(BASE_STATION_DTYPES))
    accounting: Accounting = field(default_factory=Accounting)

    @property
    def time_span(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        t = self.positions["time"]
        return (t.min(), t.max()) if len(t) else (None, None)


def _reader(fmt: str) -> Callable[..., Iterator[Batch]]:
    if fmt == "nmea":
        return read_nmea
    from . import tables  # the table readers import pandas' CSV machinery only when needed

    return {"dma": tables.read_dma, "noaa": tables.read_noaa, "aisdb": tables.read_aisdb,
            "digitraffic": tables.read_digitraffic, "csv": tables.read_generic}[fmt]


def parse_start(value: str | None) -> float | None:
    """Unix seconds from an ISO 8601 string (UTC assumed when no zone is given)."""
    if value is None:
        return None
    try:
        d = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise IngestError(f"--start {value!r}: not an ISO 8601 time such as 2024-06-01T00:00:00Z") from None
    t = (d if d.tzinfo else d.replace(tzinfo=timezone.utc)).timestamp()
    if not ERA_S[0] <= t < ERA_S[1]:
        raise IngestError(f"--start {value!r}: outside the AIS era (1990 to 2099)")
    return t


def read(
    paths: str | list[str],
    format: str = "auto",
    config: Config | None = None,
    start: str | None = None,
    progress: bool = False,
) -> Dataset:
    """Read AIS inputs into a :class:`Dataset`.

    Parameters
    ----------
    paths: file paths, glob patterns, or ``-`` for stdin.
    format: ``auto`` (sniffed per file) or one of ``nmea``, ``dma``, ``noaa``, ``aisdb``, ``digitraffic``, ``csv`` (generic decoded CSV).
    config: settings (``config.ingest`` is used here); defaults when None.
    start: ISO 8601 time the recording began, used only to date NMEA files with no times at all
        and no base-station reports.
    progress: print a progress line on stderr (only when stderr is a terminal).

    Raises :class:`IngestError` (and its subclasses :class:`NotAISError`,
    :class:`UndatedError`) with a one-line message for input that cannot be
    read at all; bad lines inside a readable input are counted, never raised.
    """
    cfg: IngestConfig = (config or Config()).ingest
    acct = Accounting()
    start_s = parse_start(start)
    show = progress and sys.stderr.isatty()
    t0 = time.perf_counter()
    parts: list[Batch] = []
    columns: list[dict[str, Any]] = []  # positions, one dict of separately freeable arrays per batch
    seen: dict[bytes, float] = {}  # payload -> first reception time, shared so copies across files merge
    inputs = expand(paths)
    for n_src, src in enumerate(open_sources(inputs, format, warn=acct.warnings.append)):
        acct.sources[src.name] = src.format
        if src.format == "nmea":
            # several inputs (or an archive's members) may hold copies of one message: keep payload keys
            several = len(inputs) > 1 or src.name not in (inputs[0], "<stdin>")
            batches = read_nmea(src.stream, src.name, cfg, acct, start_s, seen=seen, keys=several)
        else:
            batches = _reader(src.format)(src.stream, src.name, cfg, acct)
        try:
            for b in batches:
                columns.append(_columns(b.positions) | {"_input": n_src})
                for df in (b.static, b.base_stations):
                    if len(df):
                        df["_input"] = n_src
                b.positions = None  # type: ignore[assignment]  # its columns now live in `columns`
                parts.append(b)
                if show:
                    rate = acct.read / max(time.perf_counter() - t0, 1e-9)
                    print(f"\r{src.name}: {acct.read:,} lines, {acct.decoded:,} messages ({rate:,.0f} lines/s)",
                          end="", file=sys.stderr, flush=True)
        except READ_ERRORS as exc:  # a reader that does not keep what came before the break
            raise IngestError(f"{src.name}: read failed after {acct.read:,} lines ({exc})") from None
    if show:
        print(file=sys.stderr)
    return _assemble(parts, columns, acct, cfg.dedup_window_s)


def _cat(frames: list[pd.DataFrame], dtypes: dict[str, str] | None) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty(dtypes) if dtypes else pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return conform(out, dtypes) if dtypes else out


def _columns(df: pd.DataFrame) -> dict[str, Any]:
    """A positions batch as independent arrays (a DataFrame's columns share blocks and free together)."""
    out: dict[str, Any] = {}
    for col, dtype in POSITION_DTYPES.items():
        if dtype == "category":
            out[col] = pd.Categorical(df[col])
        elif dtype.startswith("datetime"):
            out[col] = df[col].to_numpy(dtype="datetime64[ns]", copy=True)
        else:
            out[col] = df[col].to_numpy(copy=True)
    for col in KEY_COLUMNS:  # an NMEA batch's payload keys, for merging copies across inputs
        if col in df:
            out[col] = df[col].to_numpy(np.int64, copy=True)
    return out


def _assemble(parts: list[Batch], columns: list[dict[str, Any]], acct: Accounting, window_s: float) -> Dataset:
    """The dataset from the batches of every input; copies of a message in several NMEA inputs
    (:func:`_copies_across_inputs`) are merged, ``window_s`` apart at most."""
    bs = _drop_copies(_cat([p.base_stations for p in parts], None), window_s, acct, msg_type=4)
    bs = (conform(bs, BASE_STATION_DTYPES).sort_values("time", kind="stable", ignore_index=True) if len(bs)
          else empty(BASE_STATION_DTYPES))
    vessels = fold_vessels(_drop_copies(_cat([p.static for p in parts], None), window_s, acct))
    del parts[:]
    return Dataset(_sorted_positions(columns, acct, window_s), vessels, bs, acct)


def _sorted_positions(batches: list[dict[str, Any]], acct: Accounting, window_s: float) -> pd.DataFrame:
    """Concatenate the batches sorted by (time, mmsi), one column at a time.

    Each batch column is dropped as soon as it is copied into the output, so the
    peak stays near one table plus a column, not the three copies that
    concat + sort_values would hold (measured: benchmarks/bench_ingest.py).
    """
    batches = [b for b in batches if len(b["mmsi"])]
    if not batches:
        return empty(POSITION_DTYPES)
    keep = _table_duplicates_kept(batches, acct)
    if len({b["_input"] for b in batches if "_key" in b}) > 1:
        key = np.concatenate([b["_key"] if "_key" in b else np.full(len(b["mmsi"]), -1) for b in batches])
        src = np.concatenate([np.full(len(b["mmsi"]), b["_input"]) for b in batches])
        t = np.concatenate([b["time"] for b in batches]).astype(np.int64) / 1e9
        copies = _copies_across_inputs(key, src, t, window_s)
        nlines = np.concatenate([b["_nlines"] if "_nlines" in b else np.ones(len(b["mmsi"]), int) for b in batches])
        _account_copies(acct, np.concatenate([b["msg_type"] for b in batches])[copies], nlines[copies])
        keep = ~copies if keep is None else keep & ~copies
    time = np.concatenate([b["time"] for b in batches])
    mmsi = np.concatenate([b["mmsi"] for b in batches])
    order = np.lexsort((mmsi, time))  # stable: ties keep arrival order
    del time, mmsi
    if keep is not None:
        order = order[keep[order]]
    cols: dict[str, Any] = {}
    for col, dtype in POSITION_DTYPES.items():
        parts = [b.pop(col) for b in batches]
        if dtype == "category":
            # categories differ between batches; unite them rather than fall back to object strings
            cols[col] = union_categoricals(parts, ignore_order=True).take(order)
        elif dtype.startswith("datetime"):
            cols[col] = pd.DatetimeIndex(np.concatenate(parts)[order]).tz_localize("UTC")
        else:
            cols[col] = np.concatenate(parts)[order]
        del parts
    return pd.DataFrame(cols, copy=False)  # no consolidation copy of the whole table


def _table_duplicates_kept(batches: list[dict[str, Any]], acct: Accounting) -> np.ndarray | None:
    """Mask of rows to keep: decoded CSV/JSON rows repeated exactly are one report.

    NMEA copies are merged by payload while decoding; this covers table exports,
    which often list a report once per receiving network.
    """
    table = np.concatenate([np.isin(np.asarray(b["time_source"]), ["csv", "json"]) for b in batches])
    if not table.any():
        return None
    key = pd.DataFrame({c: np.concatenate([b[c] for b in batches])
                        for c in ("mmsi", "time", "lat", "lon", "sog", "cog")})
    dup = key.duplicated(keep="first").to_numpy() & table
    n = int(dup.sum())
    if n:
        acct.used -= n
        acct.skip("duplicate", n)
        acct.decoded -= n
        acct.by_type["position"] -= n
    return ~dup


def _copies_across_inputs(key: np.ndarray, src: np.ndarray, t: np.ndarray, window_s: float) -> np.ndarray:
    """Mask of rows that another NMEA input received too: the same payload (``key``, its hash;
    -1: no payload, a table row) from a different input (``src``) within ``window_s`` seconds
    (``t``, unix). The first reception is kept.

    Within one input, copies are merged while decoding, but that memory covers only the
    last ``dedup_window_s`` of the input's own time, so an input read after another of
    the same hours (a second receiver's log) would find nothing of the first.
    """
    order = np.lexsort((t, key))
    k, ts, sr = key[order], t[order], src[order]
    # A reception is a copy when a kept one of the payload from another input came within the window
    # before it. Where a payload's receptions all fall within the window of its first (kept), that
    # is: those from other inputs than the first's. The payloads heard over longer (a message repeated
    # unchanged: a ship's static data, an aid to navigation's report every 3 min) are walked, few.
    start = np.r_[True, k[1:] != k[:-1]]
    first = np.maximum.accumulate(np.where(start, np.arange(len(k)), 0))
    copy = ~start & (k != -1) & (sr != sr[first])
    spread = ts - ts[first] > window_s
    for key_ in np.unique(k[spread & (k != -1)]).tolist():
        lo, hi = np.searchsorted(k, key_, "left"), np.searchsorted(k, key_, "right")
        kept: deque[tuple[float, int]] = deque()  # those within the window of the reception at hand
        for i in range(lo, hi):
            while kept and ts[i] - kept[0][0] > window_s:
                kept.popleft()
            copy[i] = any(s != sr[i] for _, s in kept)
            if not copy[i]:
                kept.append((ts[i], sr[i]))
    out = np.zeros(len(key), dtype=bool)
    out[order[copy]] = True
    return out


def _drop_copies(df: pd.DataFrame, window_s: float, acct: Accounting, msg_type: int | None = None) -> pd.DataFrame:
    """``df`` (static or base-station rows, with KEY_COLUMNS and ``_input`` where they came from NMEA)
    without other inputs' copies, those helper columns dropped; the accounting moves the copies'
    lines to 'duplicate'. ``msg_type``: the rows' type when they carry none (base stations: 4)."""
    if not len(df) or "_key" not in df:
        return df.drop(columns=[c for c in ("_input", *KEY_COLUMNS) if c in df])
    key = df["_key"].fillna(-1).to_numpy(np.int64)
    t = unix_seconds(df["time"])
    copy = _copies_across_inputs(key, df["_input"].to_numpy(), t, window_s)
    types = df["msg_type"].to_numpy() if msg_type is None else np.full(len(df), msg_type)
    _account_copies(acct, types[copy], df["_nlines"].fillna(0).to_numpy(np.int64)[copy])
    return df[~copy].drop(columns=["_input", *KEY_COLUMNS]).reset_index(drop=True)


def _account_copies(acct: Accounting, msg_type: np.ndarray, nlines: np.ndarray) -> None:
    """Move dropped copies' lines from used to 'duplicate'; a row with 0 lines (a type 19's static
    half, counted with its position half) is no message of its own."""
    n = int(nlines.sum())
    if n:
        acct.used -= n
        acct.skip("duplicate", n)
    counted = msg_type[nlines > 0]
    acct.decoded -= len(counted)
    types, counts = np.unique(counted, return_counts=True)
    for mtype, c in zip(types.tolist(), counts.tolist()):
        acct.by_type[mtype] -= c


def fold_vessels(static: pd.DataFrame) -> pd.DataFrame:
    """One row per MMSI: the latest non-missing value of each static field."""
    if not len(static):
        return empty(VESSEL_DTYPES)
    static = static.sort_values("time", kind="stable")
    cols = [c for c in VESSEL_DTYPES if c in static.columns and c not in ("mmsi", "n_static")]
    g = static.groupby("mmsi", sort=True)
    out = g[cols].last() if cols else pd.DataFrame(index=g.size().index)
    out["n_static"] = g.size().astype("int32")
    return conform(out.reset_index(), VESSEL_DTYPES)
