"""AIS payloads and NMEA sentence text.

Static (5, 24) and base station (4) payloads are built by pyais. Two of its
habits matter: the message type must be passed as ``msg_type`` (a ``type`` key
silently encodes type 1 for type 3), and draught is truncated, not rounded, to
tenths, so it is passed as ``(k + 0.25) / 10`` for the intended tenth ``k``.

Position reports (types 1, 3, 18: 95 % of all messages) are bit-packed here
with numpy, all at once: through pyais they took most of a large scenario's
run time. The field layout is ITU-R M.1371-5 and the conversions are pyais's
(``tests/test_simulate.py`` checks the payloads are identical to pyais's).

The communication-state ('radio') field is filled like a real SOTDMA
transponder's: sync state, a slot time-out counting down frame by frame, and
the sub-message that goes with it (received stations, slot number, UTC
hour and minute, slot offset). Besides realism this keeps consecutive reports
of a ship whose GNSS is jammed (same 'not available' position, same
second 63) from being byte-identical, which a receiver would take for one
message heard twice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyais.encode import data_to_payload

from ..ingest.nmea import checksum as _xor
from ..schema import LAT_NA, LON_NA
from .traffic import Vessel

#: SOTDMA slots per second (2250 per minute).
SLOTS_PER_S = 37.5
#: Class B 'CS' communication state: selector 1 (ITDMA) and the fixed value of ITU-R M.1371-5 Annex 7.
CS_RADIO = (1 << 19) | 0b1100000000000000110
ROT_NA = -128
MAX_PAYLOAD_CHARS = 60


def checksum(body: str) -> str:
    """NMEA checksum (two hex digits) of the text between the start character and '*'."""
    return f"{_xor(body.encode('ascii')):02X}"


def sentences(payload: str, fill: int, channel: str, seq: str = "", talker: str = "AIVDM") -> list[str]:
    """The NMEA sentence(s) carrying one payload."""
    parts = [payload[i:i + MAX_PAYLOAD_CHARS] for i in range(0, len(payload), MAX_PAYLOAD_CHARS)]
    n = len(parts)
    seq = seq if n > 1 else ""
    out = []
    for k, part in enumerate(parts, start=1):
        body = f"{talker},{n},{k},{seq},{channel},{part},{fill if k == n else 0}"
        out.append(f"!{body}*{checksum(body)}")
    return out


#: The AIS 6-bit 'armouring' alphabet (IEC 61162-1): values 0-39 -> '0'-'W', 40-63 -> '`'-'w'.
_ARMOUR = np.array([v + 48 if v < 40 else v + 56 for v in range(64)], dtype=np.uint8)


def encode(data: dict) -> tuple[str, int]:
    """Armoured payload and fill bits for a pyais field dict (with ``msg_type``)."""
    return data_to_payload(int(data["msg_type"]), data).encode()


def tenths(x: float) -> float:
    """A value pyais encodes as exactly round(x, 1) (it truncates)."""
    return (round(x * 10) + 0.25) / 10


def quantise_latlon(x: np.ndarray) -> np.ndarray:
    """Degrees as transmitted: whole 1/10000 minutes."""
    return np.round(np.round(np.asarray(x, dtype=float) * 600_000.0) / 600_000.0, 6)


def radio_states(rep: pd.DataFrame, t0_unix: float, rng: np.random.Generator) -> np.ndarray:
    """Communication-state field of each position report (types 1, 3: SOTDMA/ITDMA; 18: CS)."""
    t_abs = t0_unix + rep["t"].to_numpy()
    vessel = rep["vessel"].to_numpy()
    frame = np.floor(t_abs / 60).astype(np.int64)
    k = rep.groupby([vessel, frame]).cumcount().to_numpy()
    n_v = int(vessel.max()) + 1 if len(vessel) else 0
    phase = rng.integers(0, 8, n_v)
    heard = rng.integers(5, 60, n_v)
    timeout = (phase[vessel] + 3 * k - frame) % 8
    # Slots to the ship's next report (its reporting interval).
    nxt = np.append(np.diff(rep["t"].to_numpy()), 10.0)
    nxt = np.where(np.append(vessel[1:] == vessel[:-1], False), nxt, 10.0)
    slots_next = np.clip(np.round(nxt * SLOTS_PER_S), 1, 8191).astype(np.int64)
    sec = t_abs % 60
    hour = (t_abs // 3600 % 24).astype(np.int64)
    minute = (t_abs // 60 % 60).astype(np.int64)
    sub = np.select(
        [np.isin(timeout, (3, 5, 7)), np.isin(timeout, (2, 4, 6)), timeout == 1],
        [heard[vessel] + frame % 7, (sec * SLOTS_PER_S).astype(np.int64), (hour << 9) | (minute << 2)],
        slots_next,
    )
    sync = rep["sync"].to_numpy().astype(np.int64)
    sotdma = (sync << 17) | (timeout << 14) | sub
    itdma = (sync << 17) | (slots_next << 4)
    mt = rep["msg_type"].to_numpy()
    return np.where(mt == 18, CS_RADIO, np.where(mt == 3, itdma, sotdma))


#: Field widths (bits) of message types 1/2/3 and 18, in order (ITU-R M.1371-5, 168 bits each).
_LAYOUT_A = (("msg_type", 6), ("repeat", 2), ("mmsi", 30), ("status", 4), ("turn", 8), ("speed", 10),
             ("accuracy", 1), ("lon", 28), ("lat", 27), ("course", 12), ("heading", 9), ("second", 6),
             ("maneuver", 2), ("spare", 3), ("raim", 1), ("radio", 19))
_LAYOUT_B = (("msg_type", 6), ("repeat", 2), ("mmsi", 30), ("reserved", 8), ("speed", 10), ("accuracy", 1),
             ("lon", 28), ("lat", 27), ("course", 12), ("heading", 9), ("second", 6), ("reserved2", 2),
             ("cs", 1), ("display", 1), ("dsc", 1), ("band", 1), ("msg22", 1), ("assigned", 1), ("raim", 1),
             ("radio", 20))


def _pack(fields: dict[str, np.ndarray], layout: tuple[tuple[str, int], ...], n: int) -> np.ndarray:
    """Armoured payloads (n, bits/6) uint8 from integer field arrays (two's complement for negatives)."""
    bits = []
    for name, width in layout:
        v = np.broadcast_to(np.asarray(fields.get(name, 0), dtype=np.int64), (n,)) & ((1 << width) - 1)
        bits.append((v[:, None] >> np.arange(width - 1, -1, -1)) & 1)
    six = np.concatenate(bits, axis=1).reshape(n, -1, 6) @ (1 << np.arange(5, -1, -1))
    return _ARMOUR[six]


def position_payloads(rep: pd.DataFrame) -> list[str]:
    """Armoured payload (fill bits 0) of every row of ``rep``: reported fields, NaN meaning 'not available'."""
    n = len(rep)
    col = {c: rep[c].to_numpy() for c in ("msg_type", "mmsi", "nav_status", "rot", "sog", "accuracy", "lon", "lat",
                                          "cog", "heading", "second", "raim", "radio")}
    rot = col["rot"].astype(float)
    # ROT indicator: 4.733 * sqrt(deg/min), signed; -128 'no turn information' (pyais from_turn).
    turn = np.where(np.isnan(rot), ROT_NA, np.copysign(np.round(4.733 * np.sqrt(np.abs(np.nan_to_num(rot)))), rot))
    sog = col["sog"].astype(float)
    cog = col["cog"].astype(float)
    lon, lat = col["lon"].astype(float), col["lat"].astype(float)
    fields = {
        "msg_type": col["msg_type"], "mmsi": col["mmsi"], "status": col["nav_status"], "turn": turn,
        "speed": np.where(np.isnan(sog), 1023, np.round(np.minimum(np.nan_to_num(sog), 102.2) * 10)),
        "accuracy": col["accuracy"],
        "lon": np.round(np.where(np.isnan(lon), LON_NA, lon) * 600_000.0),
        "lat": np.round(np.where(np.isnan(lat), LAT_NA, lat) * 600_000.0),
        "course": np.where(np.isnan(cog), 3600, np.round(np.nan_to_num(cog) * 10) % 3600),
        "heading": col["heading"], "second": col["second"], "raim": col["raim"], "radio": col["radio"],
        "cs": 1, "dsc": 1, "band": 1, "msg22": 1,
    }
    fields = {k: np.asarray(v).astype(np.int64) if np.ndim(v) else v for k, v in fields.items()}
    out = np.empty((n, 28), dtype=np.uint8)
    b = fields["msg_type"] == 18
    for mask, layout in ((~b, _LAYOUT_A), (b, _LAYOUT_B)):
        if mask.any():
            out[mask] = _pack({k: (v[mask] if np.ndim(v) else v) for k, v in fields.items()}, layout,
                              int(mask.sum()))
    return out.view("S28").ravel().astype(str).tolist()


def static_payloads(v: Vessel) -> dict[str, tuple[str, int]]:
    """Static reports of a vessel: '5' for Class A; '24A' and '24B' for Class B."""
    bow, stern, port, stbd = v.dims
    if v.device == "A":
        month, day, hour, minute = v.eta
        return {"5": encode({
            "msg_type": 5, "mmsi": v.mmsi, "ais_version": 0, "imo": v.imo, "callsign": v.callsign,
            "shipname": v.name, "ship_type": v.ship_type, "to_bow": bow, "to_stern": stern, "to_port": port,
            "to_starboard": stbd, "epfd": 1, "month": month, "day": day, "hour": hour, "minute": minute,
            "draught": tenths(v.draught), "destination": v.destination, "dte": 0,
        })}
    return {
        "24A": encode({"msg_type": 24, "mmsi": v.mmsi, "partno": 0, "shipname": v.name}),
        "24B": encode({"msg_type": 24, "mmsi": v.mmsi, "partno": 1, "ship_type": v.ship_type, "vendorid": "SRT",
                       "model": 1, "serial": v.mmsi % 1_000_000, "callsign": v.callsign, "to_bow": bow,
                       "to_stern": stern, "to_port": port, "to_starboard": stbd}),
    }


def base_payload(mmsi: int, lon: float, lat: float, utc: pd.Timestamp | None, radio: int) -> tuple[str, int]:
    """Type 4 base station report; ``utc`` None sends every time field as 'not available'."""
    if utc is None:
        when = {"year": 0, "month": 0, "day": 0, "hour": 24, "minute": 60, "second": 60}
    else:
        when = {"year": utc.year, "month": utc.month, "day": utc.day, "hour": utc.hour, "minute": utc.minute,
                "second": utc.second}
    return encode({"msg_type": 4, "mmsi": mmsi, **when, "accuracy": 1, "lon": lon, "lat": lat, "epfd": 7,
                   "raim": 0, "radio": radio})
