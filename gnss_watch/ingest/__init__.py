"""Ingest: every common AIS source into the canonical tables (:mod:`gnss_watch.schema`).

>>> ds = read(["day1.nmea.gz", "aisdk-2024-06-01.csv"])      # doctest: +SKIP
>>> ds.positions.head(); ds.vessels; ds.base_stations; ds.accounting.to_dict()

Formats are told apart by content (``format="auto"``): NMEA 0183 logs, the
Danish Maritime Authority's aisdk CSV, NOAA MarineCadastre CSV and Finland's
Digitraffic JSON. gzip, bz2 and zip are opened transparently; ``-`` reads
stdin. Inputs stream in chunks, so memory is bounded by the output tables.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pandas as pd
from pandas.api.types import union_categoricals

from ..config import Config, IngestConfig
from ..schema import BASE_STATION_DTYPES, POSITION_DTYPES, VESSEL_DTYPES, conform, empty
from .accounting import SKIP_REASONS, Accounting
from .base import Batch, IngestError, NotAISError, UndatedError
from .nmea import NmeaDecoder, read_nmea
from .sources import FORMATS, Source, open_sources

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

    return {"dma": tables.read_dma, "noaa": tables.read_noaa, "digitraffic": tables.read_digitraffic}[fmt]


def parse_start(value: str | None) -> float | None:
    """Unix seconds from an ISO 8601 string (UTC assumed when no zone is given)."""
    if value is None:
        return None
    try:
        d = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise IngestError(f"--start {value!r}: not an ISO 8601 time such as 2024-06-01T00:00:00Z") from None
    return (d if d.tzinfo else d.replace(tzinfo=timezone.utc)).timestamp()


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
    format: ``auto`` (sniffed per file) or one of ``nmea``, ``dma``, ``noaa``, ``digitraffic``.
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
    seen: dict[bytes, float] = {}  # payload -> first reception time, shared so copies across files merge
    for src in open_sources(paths, format):
        acct.sources[src.name] = src.format
        if src.format == "nmea":
            batches = read_nmea(src.stream, src.name, cfg, acct, start_s, seen=seen)
        else:
            batches = _reader(src.format)(src.stream, src.name, cfg, acct)
        try:
            for b in batches:
                parts.append(b)
                if show:
                    rate = acct.read / max(time.perf_counter() - t0, 1e-9)
                    print(f"\r{src.name}: {acct.read:,} lines, {acct.decoded:,} messages ({rate:,.0f} lines/s)",
                          end="", file=sys.stderr, flush=True)
        except (OSError, EOFError) as exc:  # truncated gzip, damaged zip member, I/O error mid-file
            raise IngestError(f"{src.name}: read failed after {acct.read:,} lines ({exc})") from None
    if show:
        print(file=sys.stderr)
    return _assemble(parts, acct)


def _assemble(parts: list[Batch], acct: Accounting) -> Dataset:
    def cat(frames: list[pd.DataFrame], dtypes: dict[str, str] | None) -> pd.DataFrame:
        frames = [f for f in frames if len(f)]
        if not frames:
            return empty(dtypes) if dtypes else pd.DataFrame()
        if not dtypes:
            return pd.concat(frames, ignore_index=True)
        # Categories differ between batches and would concatenate as object strings (5-10x the
        # memory); unite them first so the table stays compact.
        cats = [c for c, d in dtypes.items() if d == "category"]
        out = pd.concat([f.drop(columns=cats) for f in frames], ignore_index=True)
        for c in cats:
            out[c] = union_categoricals([f[c] for f in frames], ignore_order=True)
        return out[list(dtypes)]

    bs = cat([p.base_stations for p in parts], BASE_STATION_DTYPES).sort_values("time", kind="stable",
                                                                                 ignore_index=True)
    vessels = fold_vessels(cat([p.static for p in parts], None))
    pos = cat([p.positions for p in parts], POSITION_DTYPES)
    del parts[:]  # let the batches go before the sort copies the table
    pos = _drop_table_duplicates(pos, acct)
    pos = pos.sort_values(["time", "mmsi"], kind="stable", ignore_index=True)
    return Dataset(pos, vessels, bs, acct)


def _drop_table_duplicates(pos: pd.DataFrame, acct: Accounting) -> pd.DataFrame:
    """Decoded CSV/JSON rows repeated exactly (same vessel, time and fix) are one report.

    NMEA copies are merged by payload while decoding; this covers table exports,
    which often list a report once per receiving network.
    """
    table = pos["time_source"].isin(["csv", "json"]).to_numpy()
    if not table.any():
        return pos
    dup = pos.duplicated(["mmsi", "time", "lat", "lon", "sog", "cog"], keep="first").to_numpy() & table
    n = int(dup.sum())
    if n:
        acct.used -= n
        acct.skip("duplicate", n)
        acct.decoded -= n
        acct.by_type["position"] -= n
        pos = pos[~dup].reset_index(drop=True)
    return pos


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
