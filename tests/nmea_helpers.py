"""Build NMEA test lines with pyais's encoder (tests only)."""

from __future__ import annotations

from functools import reduce
from operator import xor

from pyais.encode import encode_dict


def sentences(msg_type: int, channel: str = "A", seq_id: int | None = None, talker: str = "AI", **fields) -> list[str]:
    # pyais 3.3.1 needs msg_type in the dict; a 'type' key would silently encode type 1
    return encode_dict({"msg_type": msg_type, **fields}, talker_id=talker, sentence_type="VDM",
                       radio_channel=channel, seq_id=seq_id)


def position(mmsi: int, lat: float, lon: float, msg_type: int = 1, **fields) -> str:
    base = {"mmsi": mmsi, "lat": lat, "lon": lon, "speed": 10.0, "course": 90.0, "heading": 90, "second": 0}
    (s,) = sentences(msg_type, **{**base, **fields})
    return s


def tag(sentence: str, **fields) -> str:
    body = ",".join(f"{k}:{v}" for k, v in fields.items())
    return f"\\{body}*{reduce(xor, body.encode(), 0):02X}\\{sentence}"


def checksum(body: str) -> str:
    return f"{reduce(xor, body.encode(), 0):02X}"
