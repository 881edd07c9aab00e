"""NMEA ingest: real files against pyais, every time convention, assembly, duplicates, accounting."""

from __future__ import annotations

import bz2
import gzip
import io
import math
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pyais.encode import encode_dict
from pyais.stream import FileReaderStream
from pyais.util import compute_checksum

from gnss_watch.config import Config, IngestConfig
from gnss_watch.ingest import IngestError, NotAISError, UndatedError, read
from gnss_watch.ingest.accounting import Accounting
from gnss_watch.ingest.nmea import NmeaDecoder
from nmea_helpers import checksum, position, sentences, tag

DATA = Path(__file__).parent / "data" / "nmea"
SAMPLE = Path(__file__).parents[1] / "sample_data" / "real" / "dma_ais_sample.txt.gz"
UNDATED = {"decode_encode_messages.txt", "typeexamples.nmea", "multi-part.nmea", "sample.aivdm", "mixed.txt",
           "sample.ais", "nmea_data_sample.txt", "ais-nmea-type6-fid55.log", "single-message-type-5.nmea",
           "type8.nmea", "errors.nmea", "type1-bad-bitcount.nmea", "mixed_types.nmea"}
T0 = 1_717_200_000  # 2024-06-01T00:00:00Z


def write(tmp_path: Path, lines: list[str], name: str = "in.nmea") -> Path:
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def balanced(acct: Accounting) -> bool:
    return acct.read == acct.used + sum(acct.skipped.values())


# --- real files ------------------------------------------------------------------------------

REAL = sorted(p for p in DATA.rglob("*") if p.is_file() and p.suffix != ".md")


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_real_file_accounts_for_every_line(path: Path) -> None:
    ds = read(str(path), start="2020-01-01T00:00:00Z")
    acct = ds.accounting
    raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    physical = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    assert acct.read >= physical  # packed multi-sentence lines add to 'read', nothing is dropped
    assert balanced(acct), acct.to_dict()
    assert acct.decoded == sum(acct.by_type.values())
    assert ds.positions["time"].notna().all()


def _reference_positions(path: Path) -> set[tuple]:
    """Position reports as pyais decodes them on its own (checksum-valid, multi-part assembled)."""
    out = set()
    for msg in FileReaderStream(str(path)):
        # pyais checks the checksum over the whole line: recheck it over the sentence alone, since
        # USCG-style trailing ',station,epoch' fields follow the checksum
        parts = msg.raw.split(b"\n")
        if not all(compute_checksum(r) == int(r.split(b"*")[1][:2], 16) for r in parts):
            continue
        try:
            m = msg.decode()
        except Exception:
            continue
        if m.msg_type in (1, 2, 3, 18, 19, 27, 9, 21) and 0 < m.mmsi <= 999_999_999:
            if (-90 <= m.lat <= 90 or m.lat == 91) and (-180 <= m.lon <= 180 or m.lon == 181):
                lat = None if m.lat == 91 or m.lon == 181 else round(m.lat, 5)
                lon = None if lat is None else round(m.lon, 5)
                out.add((m.mmsi, m.msg_type, lat, lon))
    return out


@pytest.mark.parametrize("name", ["stream_example.txt", "test_data_20211101.nm4", "nmea_data_sample.txt",
                                  "ais-nmea-type6-fid55.log", "decode_encode_messages.txt", "replay_dump.txt"])
def test_positions_match_pyais(name: str) -> None:
    path = DATA / name
    ds = read(str(path), start="2020-01-01T00:00:00Z")
    p = ds.positions
    ours = {(int(m), int(t), None if math.isnan(a) else round(a, 5), None if math.isnan(o) else round(o, 5))
            for m, t, a, o in zip(p["mmsi"], p["msg_type"], p["lat"], p["lon"])}
    ref = _reference_positions(path)
    assert ref, "the reference decode found nothing"
    # pyais does not skip short (truncated) payloads that we count as malformed: allow only those
    assert ours <= ref
    assert len(ref - ours) <= ds.accounting.skipped["malformed"]


def test_dma_sample_counts_match_its_documented_decode() -> None:
    """Figures from shared/data/real/SOURCES.md (pyais 3.3.1, multipart reassembled)."""
    ds = read(str(SAMPLE))
    a = ds.accounting
    assert a.decoded == 26_077
    assert dict(a.by_type) == {1: 20044, 3: 4151, 4: 1234, 5: 69, 18: 493, 21: 25, 24: 61}
    assert a.read == 80_246 and a.skipped["other_nmea"] == 967 + 6  # $PSTT and $PFEC lines
    assert ds.positions["time"].min() == pd.Timestamp("2013-11-12T12:00:00.011Z")
    assert ds.positions["time"].max() == pd.Timestamp("2013-11-12T12:04:59.979Z")
    assert (ds.positions["station"] != "").all()  # every DMA report carries its base station
    assert len(ds.base_stations) == 1234 and ds.base_stations["utc_valid"].all()


def test_undated_file_is_dated_from_base_stations() -> None:
    ds = read(str(DATA / "decode_encode_messages.txt"))
    assert set(ds.positions["time_source"]) == {"basestation"}
    bs = ds.base_stations[ds.base_stations["utc_valid"]]
    span = ds.positions["time"].max() - ds.positions["time"].min()
    assert ds.positions["time"].min() >= bs["utc"].min() - pd.Timedelta("2min")
    assert span < pd.Timedelta("1h")


def test_file_with_no_time_at_all_stops_with_a_clear_error(tmp_path: Path) -> None:
    p = write(tmp_path, [position(230000001, 60.0, 25.0)])
    with pytest.raises(UndatedError, match="--start"):
        read(str(p))
    ds = read(str(p), start="2024-06-01T00:00:00Z")
    assert ds.positions["time"].iloc[0] == pd.Timestamp("2024-06-01T00:00:00Z")
    assert ds.positions["time_source"].iloc[0] == "start"


# --- time sources ------------------------------------------------------------------------------

def test_tag_block_seconds_and_milliseconds(tmp_path: Path) -> None:
    a = tag(position(230000001, 60.0, 25.0), s="stA", c=T0)
    b = tag(position(230000002, 60.0, 25.1), s="stB", c=(T0 + 5) * 1000 + 250)
    ds = read(str(write(tmp_path, [a, b])))
    t = ds.positions.set_index("mmsi")["time"]
    assert t[230000001] == pd.Timestamp(T0, unit="s", tz="UTC")
    assert t[230000002] == pd.Timestamp(T0, unit="s", tz="UTC") + pd.Timedelta("5.25s")
    assert set(ds.positions["station"]) == {"stA", "stB"}
    assert set(ds.positions["time_source"]) == {"tagblock"}


def test_pghp_leading_and_trailing_times(tmp_path: Path) -> None:
    s1 = position(230000001, 60.0, 25.0)
    pghp_body = "PGHP,1,2024,6,1,0,0,7,500,219,,2190067,1," + s1.split("*")[1]
    lines = [
        "\\si:AISD*3F\\",
        f"${pghp_body}*{checksum(pghp_body)}",
        s1,
        f"{T0 + 20}.5 {position(230000002, 60.0, 25.1)}",
        f"2024-06-01T00:00:30Z {position(230000003, 60.0, 25.2)}",
        f"2024-06-01 00:00:40.250,{position(230000004, 60.0, 25.3)}",
        f"{position(230000005, 60.0, 25.4)},rSTATION9,{T0 + 50}",
    ]
    ds = read(str(write(tmp_path, lines)))
    p = ds.positions.set_index("mmsi")
    t0 = pd.Timestamp(T0, unit="s", tz="UTC")
    assert p.loc[230000001, "time"] == t0 + pd.Timedelta("7.5s")
    assert p.loc[230000001, "station"] == "2190067"
    assert p.loc[230000002, "time"] == t0 + pd.Timedelta("20.5s")
    assert p.loc[230000003, "time"] == t0 + pd.Timedelta("30s")
    assert p.loc[230000004, "time"] == t0 + pd.Timedelta("40.25s")
    assert p.loc[230000005, "time"] == t0 + pd.Timedelta("50s")
    assert p.loc[230000005, "station"] == "rSTATION9"
    assert list(p["time_source"]) == ["pghp", "leading", "leading", "leading", "trailing"]
    assert balanced(ds.accounting) and ds.accounting.used == len(lines)


def test_other_nmea_sentences_are_counted_and_skipped(tmp_path: Path) -> None:
    lines = [tag(position(230000001, 60.0, 25.0), c=T0),
             "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47",
             "$PSTT,10A,0,*70", "# a comment", "", "IamNotAnAisMessage1111", "\x00\x01\xff garbage"]
    acct = read(str(write(tmp_path, lines))).accounting
    assert acct.skipped == {"other_nmea": 2, "comment": 1, "blank": 1, "not_nmea": 2}
    assert acct.used == 1 and balanced(acct)


# --- sentences -----------------------------------------------------------------------------------

def _with_latitude(lat: float) -> str:
    """A type 1 sentence whose latitude field holds ``lat`` even when out of range (pyais encodes it raw)."""
    import pyais
    from pyais.encode import encode_dict

    d = pyais.decode(position(230000003, 0.0, 25.0)).asdict()
    d["lat"] = lat
    (s,) = encode_dict(d, talker_id="AI", sentence_type="VDM")
    assert abs(pyais.decode(s).lat - lat) < 1e-6
    return s


def test_bad_checksum_empty_payload_unsupported_and_invalid(tmp_path: Path) -> None:
    good = position(230000001, 60.0, 25.0)
    body, ck = good[1:].split("*")
    bad_ck = f"!{body}*{int(ck, 16) ^ 1:02X}"
    empty_body = "AIVDM,1,1,,B,,0"
    type0_body = "AIVDM,1,1,,A,03KF5POP1s1ivs0RHsH1hQHIP000,0"  # first payload char '0': type 0 does not exist
    lines = [tag(good, c=T0), tag(bad_ck, c=T0), tag(f"!{empty_body}*{checksum(empty_body)}", c=T0),
             tag(f"!{type0_body}*{checksum(type0_body)}", c=T0), tag(position(230000002, 60.0, 25.0), c=T0),
             tag(_with_latitude(100.0), c=T0)]
    acct = read(str(write(tmp_path, lines))).accounting
    assert acct.skipped == {"bad_checksum": 1, "empty_payload": 1, "unsupported_type": 1, "invalid_field": 1}
    assert acct.used == 2 and acct.decoded == 2 and balanced(acct)


def test_sentinels_become_nan(tmp_path: Path) -> None:
    line = tag(position(230000001, 91.0, 181.0, speed=102.3, course=360.0, heading=511, second=63), c=T0)
    p = read(str(write(tmp_path, [line]))).positions
    row = p.iloc[0]
    assert math.isnan(row["lat"]) and math.isnan(row["lon"]) and math.isnan(row["sog"])
    assert math.isnan(row["cog"]) and math.isnan(row["heading"])
    assert row["second"] == 63  # the raw field keeps its meaning: positioning system inoperative


def test_class_b_and_type27_and_aton_and_sar(tmp_path: Path) -> None:
    lines = [
        tag(position(230000001, 60.0, 25.0, msg_type=18, speed=5.0), c=T0),
        tag(sentences(27, mmsi=230000002, lat=60.1, lon=25.1, speed=63, course=511)[0], c=T0),
        tag(sentences(21, mmsi=992300001, lat=60.2, lon=25.2, name="BUOY")[0], c=T0),
        tag(sentences(9, mmsi=111230001, lat=60.3, lon=25.3, speed=120, course=10.0)[0], c=T0),
    ]
    p = read(str(write(tmp_path, lines))).positions.set_index("mmsi")
    assert p.loc[230000001, "device"] == "B" and p.loc[230000001, "nav_status"] == 15
    assert p.loc[230000002, "device"] == "A-LR" and math.isnan(p.loc[230000002, "sog"])
    assert p.loc[992300001, "device"] == "AtoN"
    assert p.loc[111230001, "device"] == "SAR" and p.loc[111230001, "sog"] == 120


# --- multi-sentence -------------------------------------------------------------------------------

def _type5(mmsi: int, channel: str, seq: int, name: str) -> list[str]:
    return sentences(5, channel=channel, seq_id=seq, mmsi=mmsi, shipname=name, callsign="OH123",
                     destination="HELSINKI", ship_type=80, to_bow=100, to_stern=20, to_port=10, to_starboard=10)


def test_multisentence_assembly_across_interleaved_channels(tmp_path: Path) -> None:
    a1, a2 = _type5(230000001, "A", 3, "ALPHA")
    b1, b2 = _type5(230000002, "B", 3, "BRAVO")  # same sequence id, other channel
    c1, c2 = _type5(230000003, "A", 4, "CHARLIE")
    lines = [f"{T0} {x}" for x in (a1, b1, c1, position(230000009, 60, 25), b2, c2, a2)]
    ds = read(str(write(tmp_path, lines)))
    v = ds.vessels.set_index("mmsi")
    assert v.loc[230000001, "name"] == "ALPHA" and v.loc[230000002, "name"] == "BRAVO"
    assert v.loc[230000003, "name"] == "CHARLIE" and v.loc[230000001, "ship_type"] == 80
    assert ds.accounting.used == 7 and balanced(ds.accounting)


def test_tag_block_groups_and_incomplete_groups(tmp_path: Path) -> None:
    a1, a2 = _type5(230000001, "A", 1, "ALPHA")
    b1, b2 = _type5(230000002, "A", 1, "BRAVO")  # same channel and sequence id: only 'g:' tells them apart
    c1, _ = _type5(230000003, "B", 2, "CHARLIE")
    lines = [tag(a1, g="1-2-101", s="st1", c=T0), tag(b1, g="1-2-102", s="st1", c=T0),
             tag(b2, g="2-2-102"), tag(a2, g="2-2-101"), tag(c1, g="1-2-103", s="st1", c=T0)]
    ds = read(str(write(tmp_path, lines)))
    assert set(ds.vessels["name"]) == {"ALPHA", "BRAVO"}
    assert ds.accounting.skipped == {"incomplete_multipart": 1}
    assert ds.accounting.used == 4


def test_fragment_given_up_after_distance(tmp_path: Path) -> None:
    a1, a2 = _type5(230000001, "A", 1, "ALPHA")
    filler = [tag(position(230000100 + i, 60.0, 25.0 + i / 1000), c=T0 + i) for i in range(30)]
    p = write(tmp_path, [tag(a1, c=T0), *filler, tag(a2, c=T0 + 31)])
    cfg = Config().replace(ingest={"max_fragment_distance_lines": 10})
    acct = read(str(p), config=cfg).accounting
    assert acct.skipped["incomplete_multipart"] == 2  # both parts, each alone
    assert balanced(acct)


# --- duplicates -----------------------------------------------------------------------------------

def test_duplicate_receptions_are_one_report(tmp_path: Path) -> None:
    s = position(230000001, 60.0, 25.0)
    lines = [tag(s, s="st1", c=T0), tag(s, s="st2", c=T0 + 1), tag(s, s="st3", c=T0 + 2),
             tag(s, s="st1", c=T0 + 3600)]  # an hour later the same bits are a new report
    ds = read(str(write(tmp_path, lines)))
    assert len(ds.positions) == 2
    assert ds.positions["station"].iloc[0] == "st1"  # the first reception is kept
    assert ds.accounting.skipped == {"duplicate": 2}


def test_duplicates_across_files_merge(tmp_path: Path) -> None:
    s = position(230000001, 60.0, 25.0)
    f1 = write(tmp_path, [tag(s, s="st1", c=T0)], "a.nmea")
    f2 = write(tmp_path, [tag(s, s="st2", c=T0 + 2)], "b.nmea")
    ds = read([str(f1), str(f2)])
    assert len(ds.positions) == 1 and ds.accounting.skipped["duplicate"] == 1


# --- containers, stdin, globs, bad input ------------------------------------------------------------

def test_gzip_bz2_zip_and_glob(tmp_path: Path) -> None:
    text = ("\n".join(tag(position(230000001 + i, 60.0, 25.0 + i / 100), c=T0 + i) for i in range(5)) + "\n").encode()
    (tmp_path / "a.nmea.gz").write_bytes(gzip.compress(text))
    (tmp_path / "b.nmea.bz2").write_bytes(bz2.compress(text.replace(b"c:17", b"c:27")))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("day1.nmea", text.replace(b"c:17", b"c:18"))
        zf.writestr("day2.nmea", text.replace(b"c:17", b"c:19"))
    (tmp_path / "c.zip").write_bytes(buf.getvalue())
    ds = read(str(tmp_path / "*"))
    assert len(ds.accounting.sources) == 4
    assert len(ds.positions) == 20 and ds.accounting.skipped == {}


def test_a_zip_passes_over_members_that_are_not_ais(tmp_path: Path) -> None:
    """An archive as people make them: a readme beside the logs, macOS's resource forks, a log still
    gzipped inside. The readme is passed over with a warning; an archive with nothing AIS in it, or
    nothing at all, is not AIS data; a glob matching only folders matches no file."""
    text = ("\n".join(tag(position(230000001 + i, 60.0, 25.0 + i / 100), c=T0 + i) for i in range(5)) + "\n").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("logs/", b"")
        zf.writestr("logs/day1.nmea", text)
        zf.writestr("logs/day2.nmea.gz", gzip.compress(text.replace(b"c:17", b"c:18")))
        zf.writestr("README.txt", b"Recorded at the harbour office.\n")
        zf.writestr("__MACOSX/logs/._day1.nmea", b"\x00\x05\x16\x07 resource fork")
        zf.writestr("notes\x1b]0;owned\x07\u202etxt.nmea", b"a member's name is the archive maker's\n")
    (tmp_path / "logs.zip").write_bytes(buf.getvalue())
    ds = read(str(tmp_path / "logs.zip"))
    assert len(ds.positions) == 10 and balanced(ds.accounting)
    assert sorted(ds.accounting.sources) == [f"{tmp_path / 'logs.zip'}:logs/day1.nmea",
                                             f"{tmp_path / 'logs.zip'}:logs/day2.nmea.gz"]
    assert ds.accounting.warnings == [f"{tmp_path / 'logs.zip'}:README.txt: not AIS data, passed over",
                                      f"{tmp_path / 'logs.zip'}:notes?]0;owned??txt.nmea: not AIS data, passed over"]
    for members in ({"README.txt": b"no AIS here\n"}, {"empty/": b""}, {}):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for name, data in members.items():
                zf.writestr(name, data)
        (tmp_path / "other.zip").write_bytes(buf.getvalue())
        with pytest.raises(NotAISError):
            read(str(tmp_path / "other.zip"))
    (tmp_path / "dd" / "x").mkdir(parents=True)
    with pytest.raises(IngestError, match="no file matches"):
        read(str(tmp_path / "dd" / "*"))


def test_stdin_through_the_cli(tmp_path: Path) -> None:
    text = "\n".join(tag(position(230000001, 60.0, 25.0 + i / 100), c=T0 + 10 * i) for i in range(3)) + "\n"
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "gnss_watch", "replay", "-", "--out", str(out), "-q"],
                       input=text.encode(), capture_output=True)
    assert r.returncode == 0, r.stderr
    assert len(pd.read_parquet(out / "positions.parquet")) == 3


def test_not_ais_is_one_line_and_exit_2(tmp_path: Path) -> None:
    p = tmp_path / "notes.txt"
    p.write_text("shopping list\nmilk\n")
    with pytest.raises(NotAISError):
        read(str(p))
    r = subprocess.run([sys.executable, "-m", "gnss_watch", "replay", str(p), "--out", str(tmp_path / "o")],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "not AIS" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o" / "summary.json").exists()


def test_truncated_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    data = SAMPLE.read_bytes()
    p = tmp_path / "cut.nmea.gz"
    p.write_bytes(data[: len(data) // 2])
    ds = read(str(p))
    assert ds.accounting.warnings and "ends early" in ds.accounting.warnings[0]
    assert 10_000 < ds.accounting.decoded < 26_077
    assert balanced(ds.accounting)


def test_a_compressed_file_damaged_at_its_start_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """Deflate data corrupt within the first 64 KiB (sniffed before any line is read): a one-line
    error naming the file, in gzip and in a zip member alike, not an internal error."""
    import zlib as _zlib

    raw = gzip.decompress(SAMPLE.read_bytes())[:200_000]
    body = _zlib.compress(raw)[2:-4]  # raw deflate
    bad = body[:40] + bytes(b ^ 0xFF for b in body[40:80]) + body[80:]
    gz = tmp_path / "bad.nmea.gz"
    gz.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + bad)
    zp = tmp_path / "bad.zip"
    with zipfile.ZipFile(zp, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.nmea", raw)
    blob = bytearray(zp.read_bytes())
    at = blob.index(b"a.nmea") + 6 + 40
    blob[at:at + 40] = bytes(b ^ 0xFF for b in blob[at:at + 40])
    zp.write_bytes(bytes(blob))
    for p, name in ((gz, str(gz)), (zp, f"{zp}:a.nmea")):
        r = subprocess.run([sys.executable, "-m", "gnss_watch", "replay", str(p), "--out", str(tmp_path / "o")],
                           capture_output=True, text=True)
        assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
        assert r.stderr.startswith(f"gnss-watch: error: {name}: cannot decompress")


def test_times_outside_the_ais_era_never_date_a_file(tmp_path: Path) -> None:
    """A base station claiming the year 3000 dates nothing (the file stays undated, exit 2 asking
    for --start), and a --start outside 1990-2099 is refused in one line."""
    bs = encode_dict({"msg_type": 4, "mmsi": 2300001, "year": 3000, "month": 1, "day": 1, "hour": 12, "minute": 0,
                      "second": 0, "lat": 60.0, "lon": 25.0})[0]
    p = tmp_path / "undated.nmea"
    p.write_text(bs + "\n" + position(230000001, 60.0, 25.0) + "\n")
    with pytest.raises(UndatedError):
        read(str(p))
    for start in ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00"):
        r = subprocess.run([sys.executable, "-m", "gnss_watch", "replay", str(p), "--out", str(tmp_path / "o"),
                            "--start", start], capture_output=True, text=True)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and "outside the AIS era" in r.stderr


def test_huge_line_and_binary_noise(tmp_path: Path) -> None:
    good = tag(position(230000001, 60.0, 25.0), c=T0)
    blob = good.encode() + b"\n" + b"!" * 10_000_000 + b"\n" + bytes(range(256)) * 100 + b"\n" + good.encode()
    p = tmp_path / "noisy.nmea"
    p.write_bytes(blob)
    acct = read(str(p)).accounting
    assert acct.skipped["too_long"] >= 1
    assert acct.used == 1 and acct.skipped["duplicate"] == 1 and balanced(acct)


# --- property tests -----------------------------------------------------------------------------------

_REAL_LINES = [ln for ln in (DATA / "stream_example.txt").read_bytes().split(b"\n")[:400] if ln]


def _decode(lines: list[bytes]) -> Accounting:
    acct = Accounting()
    dec = NmeaDecoder("prop", IngestConfig(), acct, start=float(T0))
    dec.feed(lines)
    dec.finish()
    return acct


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=90).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
                          st.sampled_from([b"\n", b"\r\n", b"\r"])), max_size=30),
       st.integers(1, 70), st.booleans())
def test_line_blocks_give_each_physical_line_once(lines, block_bytes: int, last_unterminated: bool) -> None:
    """Whatever the line ends (LF, CR LF, lone CR) and wherever the blocks cut them, each line comes
    out once: whole when short, cut to max + 1 bytes when too long (its rest never a line of its own)."""
    from gnss_watch.ingest.nmea import iter_line_blocks

    maxlen = 40
    # a lone CR before an empty line ending in LF or CR LF reads as one line end with it
    assume(not any(e == b"\r" and n in ((b"", b"\n"), (b"", b"\r\n")) for (_, e), n in zip(lines, lines[1:])))
    data = b"".join(t + e for t, e in lines)
    if last_unterminated and lines and lines[-1][0]:
        data = data[: -len(lines[-1][1])]
    got = [x for block in iter_line_blocks(io.BytesIO(data), maxlen, lambda e: None, block_bytes) for x in block]
    want = [t if len(t) <= maxlen else t[: maxlen + 1] for t, _ in lines]
    if want and data.endswith(b"\r") and len(lines[-1][0]) == maxlen:  # CR held to the end: not too long
        assert got[-1] == lines[-1][0]
    assert [x.rstrip(b"\r") if len(x) <= maxlen else x[: maxlen + 1] for x in got] == want


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=200), max_size=40))
def test_arbitrary_bytes_never_raise_and_balance(lines: list[bytes]) -> None:
    lines = [ln.replace(b"\n", b"") for ln in lines]
    acct = _decode(lines)
    assert acct.read == len(lines) or acct.read >= len(lines)
    assert balanced(acct)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_real_lines_never_raise_and_balance(data) -> None:
    idx = data.draw(st.lists(st.integers(0, len(_REAL_LINES) - 1), min_size=1, max_size=30))
    lines = []
    for i in idx:
        ln = bytearray(_REAL_LINES[i])
        for _ in range(data.draw(st.integers(0, 3))):
            pos = data.draw(st.integers(0, max(len(ln) - 1, 0)))
            op = data.draw(st.sampled_from(["flip", "cut", "dup", "insert"]))
            if op == "flip" and ln:
                ln[pos] = data.draw(st.integers(0, 255))
            elif op == "cut":
                del ln[pos:]
            elif op == "dup":
                ln[pos:pos] = ln[pos:pos + 5]
            else:
                ln[pos:pos] = data.draw(st.sampled_from([b"!", b"*", b",", b"\\", b"$PGHP,", b"\x00"]))
        lines.append(bytes(ln).replace(b"\n", b""))
    acct = _decode(lines)
    assert balanced(acct)
    assert acct.read >= len(lines)


def test_times_are_monotonic_enough_on_real_dma_sample() -> None:
    """PGHP times ride along with each sentence: no report is dated outside the file's 5 minutes."""
    p = read(str(SAMPLE)).positions
    span = p["time"].max() - p["time"].min()
    assert span <= pd.Timedelta("5min")
    assert p["time"].is_monotonic_increasing


def test_nmea_packed_in_csv_rows_with_pghp_after_the_sentence() -> None:
    """NearMiss export: '"!BSVDM..!BSVDM..","$PGHP,..."' -- the time comes after the sentences."""
    ds = read(str(DATA / "dma_nearmiss_test1000.csv"))
    acct = ds.accounting
    assert balanced(acct) and acct.skipped["not_nmea"] == 1  # the CSV header
    assert set(ds.positions["mmsi"]) == {664444000}
    assert set(ds.positions["time_source"]) == {"pghp"}
    assert ds.positions["time"].min() >= pd.Timestamp("2018-10-08T00:04Z")
    assert ds.positions["time"].max() <= pd.Timestamp("2018-10-08T04:09Z")
    assert len(ds.vessels) == 1


@pytest.mark.parametrize("prefix", ["$PGHP,1,6010,6,11,11,46,11,929,244,0,,1,72*21", "6010-06-11T11:46:11Z"])
def test_impossible_years_are_not_times(tmp_path: Path, prefix: str) -> None:
    """Found by the property test: a year 6010 from a damaged line must not crash the table build."""
    s = position(230000001, 60.0, 25.0)
    lines = [prefix, s] if prefix.startswith("$") else [f"{prefix} {s}"]
    lines.append(tag(position(230000002, 60.0, 25.1), c=T0))
    ds = read(str(write(tmp_path, lines)))
    assert (ds.positions["time"] == pd.Timestamp(T0, unit="s", tz="UTC")).all()
    assert balanced(ds.accounting)


@pytest.mark.parametrize("stamp", [
    "[2024-06-01T00:00:{s:02d}Z] ", "2024/06/01 00:00:{s:02d} ", "2024-06-01T00:00:{s:02d}Z,rx1,",
    "2024-06-01T02:00:{s:02d}+02:00;", "rx1 {e} ", "{e}000\t", "<2024.06.01 00:00:{s:02d} UTC> ",
    "2024-06-01 02:00:{s:02d} +02 rx1 ", "line 0000000042 {e} ",
])
def test_logger_stamps_before_the_sentence(tmp_path: Path, stamp: str) -> None:
    lines = [stamp.format(s=10 * i, e=1717200000 + 10 * i) + position(230000001, 60.0, 25.0 + i / 100)
             for i in range(3)]
    ds = read(str(write(tmp_path, lines)))
    p = ds.positions
    assert balanced(ds.accounting) and ds.accounting.used == 3
    assert p["time"].tolist() == [pd.Timestamp(1717200000 + 10 * i, unit="s", tz="UTC") for i in range(3)]
    assert (p["time_source"] == "leading").all()


def test_a_prefix_without_a_time_leaves_the_sentence_undated(tmp_path: Path) -> None:
    """'rx1,!AIVDM...', '192.168.1.10:2000 !AIVDM...' or '002573450,!AIVDM...' (a receiver's
    name, address or MMSI, no time) is a sentence as if alone, dated by its neighbours; a stamp that does not read
    as a plausible time (a day-first date, a clock reset to 1970, an impossible date) is
    a bad stamp: the line is not dated by its neighbours but skipped. '$GPGGA...!' is
    another sentence."""
    lines = [tag(position(230000001, 60.0, 25.0), c=T0), "rx1," + position(230000002, 60.0, 25.1),
             "192.168.1.10:2000 " + position(230000006, 60.0, 25.1),
             "002573450," + position(230000007, 60.0, 25.1),  # a base station's MMSI
             "01/06/2024 00:00:10 " + position(230000003, 60.0, 25.2),
             "1970-01-01T00:05:00Z " + position(230000004, 60.0, 25.3),
             "2024-02-30 00:00:05 " + position(230000005, 60.0, 25.4), "$GPTXT,01,01,02,x!*00"]
    ds = read(str(write(tmp_path, lines)))
    assert balanced(ds.accounting) and ds.accounting.used == 4
    assert ds.accounting.skipped == {"other_nmea": 1, "bad_time": 3}
    assert set(ds.positions["mmsi"]) == {230000001, 230000002, 230000006, 230000007}
    assert (ds.positions["time"] == pd.Timestamp(T0, unit="s", tz="UTC")).all()  # the last time heard


def test_an_undated_copy_of_a_sentence_takes_the_streams_first_time(tmp_path: Path) -> None:
    """A sentence with no time, then its copy with a tag-block time: the copy is the duplicate, and
    the kept row takes the stream's first time although no row of the batch carries one (it was a
    row with no time at all, which crashed the grid downstream)."""
    sentence = position(230000001, 60.0, 25.0)
    ds = read(str(write(tmp_path, [sentence, tag(sentence, c=T0)])))
    assert balanced(ds.accounting) and ds.accounting.skipped == {"duplicate": 1}
    assert ds.positions["time"].tolist() == [pd.Timestamp(T0, unit="s", tz="UTC")]


def test_a_tag_block_time_that_does_not_read_is_a_bad_stamp(tmp_path: Path) -> None:
    """'c:abc' or a clock reset to 1970 in a tag block: the line is skipped as bad_time, as a logger's
    unreadable stamp is, not dated by a neighbour (nor does it date the sentence after a lone tag block)."""
    lines = [tag(position(230000001, 60.0, 25.0), c=T0), "\\c:abc*00\\" + position(230000002, 60.0, 25.1),
             "\\s:rx1,c:300*00\\" + position(230000003, 60.0, 25.2), "\\c:9e99*00\\",
             tag(position(230000004, 60.0, 25.3), c=T0 + 10)]
    lines.append("2024-06-01T00:01:00Z \\s:rx2,c:0*00\\" + position(230000005, 60.0, 25.4))  # the logger's clock
    ds = read(str(write(tmp_path, lines)))
    assert balanced(ds.accounting) and ds.accounting.skipped == {"bad_time": 3}
    assert ds.positions["mmsi"].tolist() == [230000001, 230000004, 230000005]
    assert ds.positions["time"].iloc[-1] == pd.Timestamp("2024-06-01T00:01:00Z")


def test_a_second_receivers_log_of_the_same_hours_adds_no_copies(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Two inputs read one after the other: the decoder's payload memory is pruned to the last
    minutes of the input being read (here after every chunk), so the second log's copies are
    merged by their payloads afterwards -- positions, statics (two-line type 5) and base stations
    alike. A jammed ship's 'not available' reports repeat the same decoded fields each minute, but
    each is its own transmission (its radio bits differ): none is taken for another."""
    import gnss_watch.ingest.nmea as nmea

    monkeypatch.setattr(nmea, "SEEN_PURGE_AT", 0)

    def log(rx: str, offset: int) -> list[str]:
        lines = [tag(x, s=rx, c=T0 + offset) for x in sentences(5, mmsi=230000001, shipname="ONE", ship_type=70)]
        lines.append(tag(sentences(4, mmsi=2300001, lat=60.0, lon=25.0, year=2024, month=6, day=1, hour=0,
                                   minute=0, second=0)[0], s=rx, c=T0 + offset))
        for i in range(21):
            t = T0 + 60 * i + offset
            lines.append(tag(position(230000001, 60.0, 25.0 + i / 100, second=i % 60, radio=i), s=rx, c=t))
            lines.append(tag(position(230000002, 91.0, 181.0, second=63, speed=102.3, radio=100 + i), s=rx, c=t))
        return lines

    one = read(str(write(tmp_path, log("rx1", 0), "rx1.nmea")))
    both = read([str(write(tmp_path, log("rx1", 0), "rx1.nmea")), str(write(tmp_path, log("rx2", 1), "rx2.nmea"))])
    assert balanced(both.accounting) and both.accounting.skipped == {"duplicate": 45}
    assert both.accounting.by_type == one.accounting.by_type and both.accounting.decoded == one.accounting.decoded
    pd.testing.assert_frame_equal(both.positions, one.positions, check_categorical=False)  # the first kept
    assert len(both.base_stations) == 1 and both.vessels["n_static"].tolist() == [1]


def test_utf16_text_with_its_mark_reads_as_the_same_log(tmp_path: Path) -> None:
    """Windows PowerShell's '>' writes UTF-16 with a byte-order mark: read as the same log. Without
    the mark the encoding cannot be told for sure: not AIS data, with a hint saying why."""
    text = "\r\n".join(tag(position(230000001 + i, 60.0, 25.0 + i / 100), c=T0 + i) for i in range(40)) + "\r\n"
    (tmp_path / "a.nmea").write_text(text, encoding="ascii")
    (tmp_path / "u.nmea").write_bytes(text.encode("utf-16"))
    plain, wide = read(str(tmp_path / "a.nmea")), read(str(tmp_path / "u.nmea"))
    assert balanced(wide.accounting) and wide.accounting.read == 40
    pd.testing.assert_frame_equal(wide.positions, plain.positions)
    (tmp_path / "le.nmea").write_bytes(text.encode("utf-16-le"))
    with pytest.raises(NotAISError, match="UTF-16"):
        read(str(tmp_path / "le.nmea"))


def test_a_file_whose_name_looks_like_a_pattern_is_that_file(tmp_path: Path) -> None:
    """'log[1].nmea' exists: it is read, not taken as a pattern matching 'log1.nmea' (none here)."""
    p = write(tmp_path, [tag(position(230000001, 60.0, 25.0), c=T0)], "log[1].nmea")
    assert len(read(str(p)).positions) == 1


def test_a_message_repeated_unchanged_is_merged_with_the_receptions_kept_not_with_copies() -> None:
    """Input A heard an aid to navigation's unchanged report at 0 s and 360 s, input B at 180 s:
    B's is a copy of A's first (within 5 minutes); A's second is a report of its own, as one
    stream holding all three would have it, though it is within 5 minutes of B's copy. Checked
    against the plain walk on random cases."""
    from gnss_watch.ingest import _copies_across_inputs

    got = _copies_across_inputs(np.array([7, 7, 7]), np.array([0, 0, 1]), np.array([0.0, 360.0, 180.0]), 300.0)
    assert got.tolist() == [False, False, True]
    rng = np.random.default_rng(0)
    for _ in range(500):
        n = int(rng.integers(1, 12))
        key, src, t = rng.integers(-1, 3, n), rng.integers(0, 3, n), rng.uniform(0, 900, n).round()
        want = np.zeros(n, dtype=bool)
        for k in set(key.tolist()) - {-1}:
            kept: list[tuple[float, int]] = []
            for i in sorted(np.flatnonzero(key == k), key=lambda i: (t[i], i)):
                want[i] = any(s != src[i] and t[i] - tk <= 300.0 for tk, s in kept)
                if not want[i]:
                    kept.append((t[i], src[i]))
        assert (_copies_across_inputs(key, src, t, 300.0) == want).all()
