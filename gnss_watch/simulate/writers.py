"""Output files: NMEA with tag blocks, NMEA with DMA $PGHP headers, DMA CSV, truth.

Every writer is deterministic: gzip headers carry no time or file name, JSON
keys keep insertion order, floats are formatted explicitly.
"""

from __future__ import annotations

import gzip
import io
import json
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..schema import iso_utc, iso_utc_series
from .encode import checksum, sentences
from .ports import Station

#: Source network named in the $PGHP file's `\si:` tag (DMA files say AISD, IALA, ...).
PGHP_SOURCE = "SIM"
_DMA_COLUMNS = ["# Timestamp", "Type of mobile", "MMSI", "Latitude", "Longitude", "Navigational status", "ROT", "SOG",
                "COG", "Heading", "IMO", "Callsign", "Name", "Ship type", "Cargo type", "Width", "Length",
                "Type of position fixing device", "Draught", "Destination", "ETA", "Data source type"]
_NAV_STATUS = {0: "Under way using engine", 1: "At anchor", 2: "Not under command", 3: "Restricted maneuverability",
               4: "Constrained by her draught", 5: "Moored", 6: "Aground", 7: "Engaged in fishing",
               8: "Under way sailing", 15: "Unknown value"}


def ship_type_text(code: int) -> str:
    """DMA's ship type wording for an AIS ship type code."""
    tens = code // 10
    named = {30: "Fishing", 31: "Towing", 32: "Towing long/wide", 33: "Dredging", 34: "Diving", 35: "Military",
             36: "Sailing", 37: "Pleasure", 50: "Pilot", 51: "SAR", 52: "Tug", 53: "Port tender",
             55: "Law enforcement", 58: "Medical"}
    return named.get(code) or {4: "HSC", 6: "Passenger", 7: "Cargo", 8: "Tanker", 9: "Other"}.get(tens, "Undefined")


def iso(ts: pd.Timestamp | float, t0: pd.Timestamp | None = None, ms: bool = True) -> str:
    """ISO 8601 UTC with a 'Z' (``ts`` seconds after ``t0`` when a float)."""
    if t0 is not None:
        ts = t0 + pd.Timedelta(round(float(ts) * 1000), "ms")
    return iso_utc(ts) if ms else ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_gzip(path: Path, lines: Iterable[str]) -> None:
    """Write lines (LF-terminated) gzip-compressed with a constant header (no mtime, no name)."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=6) as gz:
        gz.write("".join(line + "\n" for line in lines).encode("ascii"))
    path.write_bytes(buf.getvalue())


def _tag(fields: str) -> str:
    return f"\\{fields}*{checksum(fields)}\\"


def nmea_tagblock_lines(rx: pd.DataFrame, tx: pd.DataFrame, stations: tuple[Station, ...], t0_unix: float) -> list[str]:
    """One line per reception: ``\\s:STATION,c:UNIX*hh\\!AIVDM,...``; two-part messages carry ``g:``."""
    lines: list[str] = []
    seq = [0] * len(stations)
    group = 0
    cache: dict[tuple[int, bool], str] = {}
    payload, fill, channel = tx["payload"].to_numpy(), tx["fill"].to_numpy(), tx["channel"].to_numpy()
    for i, st, rx_time, own in rx[["tx", "station", "rx_time", "own"]].itertuples(index=False):
        talker = "AIVDO" if own else "AIVDM"
        c = math.ceil(t0_unix + rx_time)
        name = stations[st].name
        if len(payload[i]) <= 60:
            key = (i, own)
            if key not in cache:
                cache[key] = sentences(payload[i], fill[i], channel[i], talker=talker)[0]
            lines.append(f"{_tag(f's:{name},c:{c}')}{cache[key]}")
            continue
        parts = sentences(payload[i], fill[i], channel[i], str(seq[st]), talker)
        seq[st] = (seq[st] + 1) % 10
        group += 1
        n = len(parts)
        lines.append(f"{_tag(f'g:1-{n}-{group},s:{name},c:{c}')}{parts[0]}")
        lines += [f"{_tag(f'g:{k}-{n}-{group}')}{p}" for k, p in enumerate(parts[1:], start=2)]
    return lines


def nmea_pghp_lines(rx: pd.DataFrame, tx: pd.DataFrame, stations: tuple[Station, ...], t0: pd.Timestamp) -> list[str]:
    """The DMA/Gatehouse layout: a ``\\si:`` tag line, ``$PGHP`` with the receive time, then the sentence(s)."""
    lines: list[str] = []
    seq = [0] * len(stations)
    si = _tag(f"si:{PGHP_SOURCE}")
    cache: dict[tuple[int, bool], list[str]] = {}
    payload, fill, channel = tx["payload"].to_numpy(), tx["fill"].to_numpy(), tx["channel"].to_numpy()
    when = pd.DatetimeIndex(t0 + pd.to_timedelta(np.round(rx["rx_time"].to_numpy() * 1000), unit="ms"))
    parts_of_time = zip(when.year, when.month, when.day, when.hour, when.minute, when.second,
                        when.microsecond // 1000)
    for (i, st, own), (y, mo, d, h, mi, sec, ms) in zip(rx[["tx", "station", "own"]].itertuples(index=False),
                                                      parts_of_time):
        s = stations[st]
        if len(payload[i]) <= 60:
            key = (i, own)
            if key not in cache:
                cache[key] = sentences(payload[i], fill[i], channel[i], talker="BSVDO" if own else "BSVDM")
            parts = cache[key]
        else:
            parts = sentences(payload[i], fill[i], channel[i], str(seq[st]), "BSVDO" if own else "BSVDM")
            seq[st] = (seq[st] + 1) % 10
        body = f"PGHP,1,{y},{mo},{d},{h},{mi},{sec},{ms},{s.mmsi // 10_000},,{s.mmsi},1,{parts[0][-2:]}"
        lines += [si, f"${body}*{checksum(body)}", *parts]
    return lines


def _round(x: np.ndarray, decimals: int) -> pd.Series:
    """Floats rounded for writing (NaN stays NaN and is written as the file's missing value)."""
    return pd.Series(np.round(np.asarray(x, dtype=float), decimals))


def _int(x: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(x, dtype=float)).round().astype("Int64")


def dma_csv(path: Path, rows: pd.DataFrame, t0: pd.Timestamp) -> None:
    """DMA 'aisdk' CSV (the column set of the real files): one row per distinct message, dated
    by its first reception. ``rows`` has the reported fields, the vessel's static fields (NaN
    until its first static report was received) and ``mobile`` ('Class A', 'Class B', 'Base Station')."""
    when = t0 + pd.to_timedelta(np.floor(rows["rx_time"].to_numpy()), unit="s")
    lat = rows["lat"].to_numpy()
    lon = rows["lon"].to_numpy()
    status = rows["nav_status"].to_numpy()
    out = pd.DataFrame({
        "# Timestamp": when.strftime("%d/%m/%Y %H:%M:%S"),
        "Type of mobile": rows["mobile"].to_numpy(),
        "MMSI": rows["mmsi"].to_numpy(),
        "Latitude": _round(np.where(np.isnan(lat), 91.0, lat), 6),
        "Longitude": _round(np.where(np.isnan(lon), 181.0, lon), 6),
        "Navigational status": [_NAV_STATUS.get(int(s), "Unknown value") if s == s else "Unknown value"
                                for s in status],
        "ROT": _round(rows["rot"].to_numpy(), 1),
        "SOG": _round(rows["sog"].to_numpy(), 1),
        "COG": _round(rows["cog"].to_numpy(), 1),
        "Heading": _int(np.where(rows["heading"].to_numpy() == 511, np.nan, rows["heading"].to_numpy())),
        "IMO": [str(int(x)) if x == x and x > 0 else "Unknown" for x in rows["imo"].to_numpy()],
        "Callsign": rows["callsign"].fillna("").to_numpy(),
        "Name": rows["name"].fillna("").to_numpy(),
        "Ship type": [ship_type_text(int(x)) if x == x else "Undefined" for x in rows["ship_type"].to_numpy()],
        "Cargo type": "",
        "Width": _int(rows["width"].to_numpy()),
        "Length": _int(rows["length"].to_numpy()),
        "Type of position fixing device": np.where(rows["mobile"] == "Base Station", "Surveyed", "GPS"),
        "Draught": _round(rows["draught"].to_numpy(), 1),
        "Destination": rows["destination"].fillna("").to_numpy(),
        "ETA": rows["eta"].fillna("").to_numpy(),
        "Data source type": "AIS",
    }, columns=_DMA_COLUMNS)
    out.to_csv(path, index=False, lineterminator="\n")


def labels_csv(path: Path, labels: pd.DataFrame, t0: pd.Timestamp) -> None:
    """labels.csv of the truth contract: one row per received position report."""
    when = t0 + pd.to_timedelta(np.round(labels["t"].to_numpy() * 1000), unit="ms")
    out = pd.DataFrame({
        "time": iso_utc_series(pd.Series(when)).to_numpy(),
        "mmsi": labels["mmsi"].to_numpy(),
        "label": labels["label"].to_numpy(),
        "event_id": labels["event_id"].to_numpy(),
        "zone_id": labels["zone_id"].to_numpy(),
        "lat_true": _round(labels["lat_true"].to_numpy(), 6),
        "lon_true": _round(labels["lon_true"].to_numpy(), 6),
        "lat_reported": _round(labels["lat_rep"].to_numpy(), 6),
        "lon_reported": _round(labels["lon_rep"].to_numpy(), 6),
    })
    out.to_csv(path, index=False, lineterminator="\n", na_rep="NaN")


def truth_json(path: Path, truth: dict) -> None:
    path.write_text(json.dumps(truth, indent=1, ensure_ascii=True) + "\n", encoding="ascii")
