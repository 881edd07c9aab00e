"""Readers for decoded table sources: DMA aisdk CSV, NOAA MarineCadastre CSV, Digitraffic JSON."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyais.messages import to_turn

from gnss_watch.config import IngestConfig
from gnss_watch.ingest.accounting import Accounting
from gnss_watch.ingest.base import IngestError
from gnss_watch.ingest.tables import (
    _rot_from_ais,
    read_digitraffic,
    read_dma,
    read_generic,
    read_noaa,
)
from gnss_watch.schema import BASE_STATION_DTYPES, POSITION_DTYPES

DATA = Path(__file__).parent / "data"
SNAPSHOT = Path(__file__).parents[1] / "sample_data" / "real" / "digitraffic_snapshot.js"

DMA_HEADER = (
    "# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,IMO,"
    "Callsign,Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,Destination,"
    "ETA,Data source type,A,B,C,D"
)


def dma_row(
    ts: str = "08/02/2018 00:00:00",
    mobile: str = "Class A",
    mmsi: str = "219000001",
    lat: str = "55.5",
    lon: str = "12.5",
    nav: str = "Under way using engine",
    rest: str = "0.0,10.0,90.0,91.0,Unknown,,,Undefined,,,,Undefined,,,,AIS,,,,",
) -> str:
    return f"{ts},{mobile},{mmsi},{lat},{lon},{nav},{rest}"


def run(reader, data: bytes, **cfg):
    acct = Accounting()
    batches = list(reader(io.BytesIO(data), "test", IngestConfig(**cfg), acct))
    pos = pd.concat([b.positions for b in batches], ignore_index=True) if batches else None
    static = pd.concat([b.static for b in batches], ignore_index=True) if batches else None
    base = pd.concat([b.base_stations for b in batches], ignore_index=True) if batches else None
    assert acct.balanced, acct.to_dict()
    return pos, static, base, acct


# ------------------------------------------------------------------------ DMA


def test_dma_real_mobiml_sample():
    pos, static, base, acct = run(read_dma, (DATA / "test_aisdk_20180208_sample.csv").read_bytes())
    assert acct.read == 11 and acct.used == 10 and dict(acct.skipped) == {"header": 1}
    assert acct.by_type["position"] == 10 and acct.decoded == 10
    assert list(pos.columns) == list(POSITION_DTYPES)
    assert pos.dtypes.astype(str).to_dict() == POSITION_DTYPES
    # Row '60,08/02/2018 00:00:00,Class A,265177000,57.602225,11.644943,Under way using engine,0.0,15.7,61.4,63.0,...'
    r = pos.iloc[0]
    assert r.time == pd.Timestamp("2018-02-08 00:00:00", tz="UTC")  # day-first: 8 February
    assert (r.mmsi, r.lat, r.lon, r.sog, r.cog, r.heading) == (265177000, 57.602225, 11.644943, 15.7, 61.4, 63.0)
    assert (r.nav_status, r.device, r.station, r.time_source, r.msg_type) == (0, "A", "AIS", "csv", 0)
    assert (r.second, r.accuracy, r.raim) == (-1, -1, -1)
    assert pos.rot.iloc[2] == -16.1
    # 'At anchor', 'Reserved for future amendment [HSC]', 'Unknown value', 'Engaged in fishing'
    assert pos.nav_status.tolist()[1:7] == [1, 0, 9, 15, 0, 7]
    assert pos.time.iloc[-1] == pd.Timestamp("2018-02-08 00:00:02", tz="UTC")
    # Every static column is 'Unknown'/'Undefined'/empty: nothing to report.
    assert len(static) == 0 and len(base) == 0


def test_dma_static_devices_sentinels_and_base_stations():
    rows = [
        dma_row(
            ts="13/02/2018 10:00:05",
            rest="3.0,12.3,45.6,44.0,9123456,OXYZ2,ANNA@@@@ ,Tanker,Category X,20,100,GPS,7.5,GOTEBORG@@,"
            "13/02/2018 18:00:00,AIS,80,20,8,12",
        ),
        dma_row(mobile="Class B", mmsi="219000002", lat="91.0", lon="181.0", nav="Unknown value",
                rest=",102.3,360.0,511.0,Unknown,,,Undefined,,,,Undefined,,,,AIS,,,,"),  # fmt: skip
        dma_row(mobile="Base Station", mmsi="2190071", lat="55.1", lon="12.1", nav="Unknown value",
                rest=",,,,Unknown,,,Undefined,,,,Surveyed,,,,AIS,,,,"),  # fmt: skip
        dma_row(mobile="SAR Airborne", mmsi="111219501"),
        dma_row(mobile="AtoN", mmsi="992191234", rest=",,,,Unknown,,DROGDEN,Undefined,,,,Undefined,,,,AIS,,,,"),
        dma_row(mobile="Search and Rescue Transponder", mmsi="970123456", ts="01/02/2018 00:00:00"),
    ]
    pos, static, base, acct = run(read_dma, "\n".join([DMA_HEADER, *rows]).encode())
    assert acct.used == 6 and acct.by_type["position"] == 5 and acct.by_type["base_station"] == 1
    assert pos.device.tolist() == ["A", "B", "SAR", "AtoN", "?"]
    assert pos.time.iloc[0] == pd.Timestamp("2018-02-13 10:00:05", tz="UTC")
    assert pos.time.iloc[-1] == pd.Timestamp("2018-02-01", tz="UTC")  # 1 February, not 2 January
    b = pos.iloc[1]
    assert np.isnan([b.lat, b.lon, b.sog, b.cog, b.heading, b.rot]).all() and b.nav_status == 15
    s = static.set_index("mmsi")
    assert set(s.index) == {219000001, 992191234}
    a = s.loc[219000001]
    assert (a["name"], a.callsign, a.imo, a.ship_type, a.epfd, a.draught, a.destination) == (
        "ANNA", "OXYZ2", 9123456, 80, 1, 7.5, "GOTEBORG",
    )  # fmt: skip
    assert (a.to_bow, a.to_stern, a.to_port, a.to_starboard) == (80, 20, 8, 12)
    assert s.loc[992191234, "name"] == "DROGDEN" and pd.isna(s.loc[992191234, "ship_type"])
    assert base.dtypes.astype(str).to_dict() == BASE_STATION_DTYPES
    bs = base.iloc[0]
    assert (bs.mmsi, bs.lat, bs.lon, bs.epfd) == (2190071, 55.1, 12.1, 7)
    assert pd.isna(bs.utc) and pd.isna(bs.utc_valid) and np.isnan(bs.utc_offset_s)


def test_text_fields_lose_control_and_bidi_characters():
    """A name carrying a right-to-left override (or a zero-width space, a bell) would show reordered or hidden
    text in a report; AIS 6-bit text cannot carry them, so a table's text drops them."""
    rows = [dma_row(rest="3.0,12.3,45.6,44.0,9123456,OXYZ2,\u202eANNA\u200b\x07\tB\U000e0041,Tanker,Category X,20,100,"
                         "GPS,7.5,\u2066GOTE\u00adBORG\u2069\u061c,13/02/2018 18:00:00,AIS,80,20,8,12")]
    pos, static, base, acct = run(read_dma, "\n".join([DMA_HEADER, *rows]).encode())
    assert acct.used == 1
    # a control character is a space, so a tab between words keeps them apart
    assert static[["name", "destination"]].iloc[0].tolist() == ["ANNA  B", "GOTEBORG"]


def test_dma_bad_lines_are_counted_by_reason():
    lines = [
        "",  # blank before the header
        DMA_HEADER,
        dma_row(),
        "   ",  # blank
        "",  # blank
        dma_row(mmsi="219000003").rsplit(",", 3)[0],  # ragged: 3 fields short
        dma_row(mmsi="219000004") + ",extra",  # ragged: one field too many
        "this is not, a CSV row \x00 at all",  # garbage
        dma_row(mmsi="219000005", lat="95.0"),  # latitude out of range
        dma_row(mmsi="219000006", lon="-200.0"),  # longitude out of range
        dma_row(mmsi="0"),  # MMSI 0
        dma_row(mmsi="1000000000"),  # 10 digits
        dma_row(mmsi="12345678x"),  # not a number
        dma_row(ts="31/02/2018 00:00:00"),  # no such date
        dma_row(ts="yesterday"),
        dma_row(lat="fifty"),
        "# a comment",
        DMA_HEADER,  # repeated header (concatenated exports)
        dma_row(mmsi="219000007", rest='0.0,10.0,90.0,91.0,Unknown,,"NAME, WITH COMMA",Cargo,,,,GPS,,"A,B",,AIS,,,,'),
        dma_row(mmsi="219000008", rest='0.0,10.0,90.0,91.0,Unknown,,"UNTERMINATED,Cargo,,,,GPS,,X,,AIS,,,,'),
        dma_row(mmsi="219000009") + "\r",  # CRLF line ending is fine
        dma_row(mmsi="219000010").replace(",AIS,", ",A\rIS,"),  # lone CR inside
        "x" * 5000,  # longer than max_line_length
        dma_row(mmsi="219000011"),
    ]
    pos, static, _, acct = run(read_dma, "\n".join(lines).encode())
    assert dict(acct.skipped) == {
        "blank": 3, "header": 2, "comment": 1, "too_long": 1, "malformed": 5, "invalid_field": 8,
    }  # fmt: skip
    assert acct.read == len(lines) and acct.used == 4
    assert pos.mmsi.tolist() == [219000001, 219000007, 219000009, 219000011]
    quoted = static.set_index("mmsi").loc[219000007]
    assert (quoted["name"], quoted.destination, quoted.ship_type) == ("NAME, WITH COMMA", "A,B", 70)


def test_boolean_looking_coordinates_are_invalid_not_one():
    # A column of only True/False would be inferred as booleans (1.0/0.0) by a careless parser.
    rows = [dma_row(mmsi=str(219000000 + i), lat="True") for i in range(3)]
    pos, _, _, acct = run(read_dma, "\n".join([DMA_HEADER, *rows]).encode())
    assert pos.empty and acct.skipped["invalid_field"] == 3
    loc = {"time": 1668075025, "lon": 20.3, "lat": True, "mmsi": 230000001, "posAcc": True}
    pos, _, _, acct = run(read_digitraffic, (json.dumps(loc) + "\n" + json.dumps({**loc, "lat": 60.0})).encode())
    assert acct.skipped["invalid_field"] == 1 and pos.lat.tolist() == [60.0] and pos.accuracy.tolist() == [1]


def test_dma_chunking_does_not_change_the_result():
    body = [dma_row(mmsi=str(219000000 + i), ts=f"08/02/2018 00:00:{i:02d}") for i in range(25)]
    body[7] = "garbage"
    body.insert(12, DMA_HEADER)
    data = "\n".join([DMA_HEADER, *body]).encode()
    big, _, _, a1 = run(read_dma, data)
    small, _, _, a2 = run(read_dma, data, chunk_lines=3)
    pd.testing.assert_frame_equal(big, small)
    assert a1.to_dict() == a2.to_dict() and a1.skipped["header"] == 2 and a1.used == 24


def test_dma_one_endless_line_is_one_too_long_line():
    data = (DMA_HEADER + "\n" + "y" * (3 << 20) + "\n" + dma_row()).encode()
    pos, _, _, acct = run(read_dma, data, chunk_lines=10)
    assert acct.read == 3 and acct.skipped["too_long"] == 1 and len(pos) == 1


def test_dma_truncated_gzip_keeps_the_rows_before_the_break():
    """A daily export cut off mid-download: the rows read before the break are kept (all but at most
    the last MiB read), with a warning saying why the input ended early."""
    import gzip

    rows = [dma_row(mmsi=str(219000000 + i % 500), ts=f"08/02/2018 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}")
            for i in range(40_000)]
    whole = gzip.compress("\n".join([DMA_HEADER, *rows]).encode())
    acct = Accounting()
    batches = list(read_dma(gzip.GzipFile(fileobj=io.BytesIO(whole[: len(whole) * 9 // 10])), "cut.csv.gz",
                            IngestConfig(), acct))
    n = sum(len(b.positions) for b in batches)
    assert acct.balanced and acct.read == n + 1 + acct.skipped["malformed"] and 30_000 < n < 40_000  # a cut last row
    assert len(acct.warnings) == 1 and "cut.csv.gz: input ends early (EOFError" in acct.warnings[0]


def test_a_row_cut_off_by_a_break_is_malformed_not_a_shorter_number():
    """A stream breaking inside a row's last number (lon 12.5678 cut to 12.5) must not give a position."""
    from gnss_watch.ingest.tables import read_generic

    class Breaks(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = data

        def readable(self) -> bool:
            return True

        def read1(self, n: int = -1) -> bytes:
            if not self.data:
                raise EOFError("Compressed file ended before the end-of-stream marker was reached")
            out, self.data = self.data, b""
            return out

    data = b"mmsi,timestamp,lat,lon\n219000001,2024-06-01T00:00:00Z,55.5,12.5678\n219000001,2024-06-01T00:01:00Z,55.5,12.5"
    acct = Accounting()
    pos = pd.concat([b.positions for b in read_generic(Breaks(data), "cut.csv", IngestConfig(), acct)])
    assert list(pos["lon"]) == [12.5678] and acct.skipped["malformed"] == 1 and acct.read == 3 and acct.balanced


def test_dma_rejects_other_csv_headers_with_one_line_message():
    with pytest.raises(IngestError) as exc:
        run(read_dma, (DATA / "dma_nearmiss_test1000_head.csv").read_bytes())
    msg = str(exc.value)
    assert "\n" not in msg and "'timestamp'" in msg and "'latitude'" in msg
    with pytest.raises(IngestError):
        run(read_dma, b"\n  \n")
    with pytest.raises(IngestError):
        run(read_noaa, (DATA / "test_aisdk_20180208_sample.csv").read_bytes())


def test_dma_title_line_above_the_header():
    data = "\n".join(["sep=,", "", "Export of 2018-02-08", DMA_HEADER, dma_row()]).encode()
    pos, _, _, acct = run(read_dma, data, chunk_lines=2)
    assert len(pos) == 1 and dict(acct.skipped) == {"malformed": 2, "blank": 1, "header": 1}
    with pytest.raises(IngestError):  # the header must come within the first lines
        run(read_dma, "\n".join(["junk"] * 5 + [DMA_HEADER, dma_row()]).encode())


def test_dma_header_only_is_fine():
    pos, _, _, acct = run(read_dma, (DMA_HEADER + "\n").encode())
    assert pos is None and acct.read == 1 and acct.skipped["header"] == 1


# ------------------------------------------------------------------------ NOAA


def test_noaa_real_sample():
    pos, static, _, acct = run(read_noaa, (DATA / "test_data_noaa_20230101.csv").read_bytes())
    assert acct.read == 1001 and acct.used == 1000 and dict(acct.skipped) == {"header": 1}
    assert len(pos) == 1000 and pos.mmsi.nunique() == 1000
    assert pos.device.value_counts().to_dict() == {"A": 954, "B": 46}
    assert pos.heading.isna().sum() == 426  # Heading 511.0
    assert pos.cog.isna().sum() == 90  # COG 360.0
    assert pos.sog.isna().sum() == 4  # SOG 102.3
    assert (pos.station == "").all() and (pos.time_source == "csv").all() and pos.rot.isna().all()
    # '636021061,2023-01-11T00:00:00,26.09241,-80.04806,8.8,272.7,270.0,MSC NAISHA III,IMO9307839,5LCB4,70,8.0,
    #  208.0,30.0,8.0,70.0,A'
    r = pos.iloc[1]
    assert (r.mmsi, r.lat, r.lon, r.sog, r.cog, r.heading, r.nav_status) == (
        636021061, 26.09241, -80.04806, 8.8, 272.7, 270.0, 8,
    )  # fmt: skip
    assert r.time == pd.Timestamp("2023-01-11T00:00:00", tz="UTC")
    s = static.set_index("mmsi").loc[636021061]
    assert (s["name"], s.callsign, s.imo, s.ship_type, s.draught) == ("MSC NAISHA III", "5LCB4", 9307839, 70, 8.0)
    assert pd.isna(static.set_index("mmsi").loc[367752440, "imo"])  # empty IMO
    assert len(static) == 998  # two rows carry no static field at all


def test_noaa_static_deduplicated_within_a_chunk_and_bad_rows():
    head = (DATA / "test_data_noaa_20230101.csv").read_text().split("\n", 1)[0]
    row = "367000001,2023-01-11T00:00:{s:02d},{lat},-70.1,5.0,10.0,12.0,SHIP@@,IMO1234567,WXYZ,1004,,,,,,{cls}"
    lines = [head] + [row.format(s=i, lat="43.0", cls="A") for i in range(5)]
    lines += [row.format(s=9, lat="-91.5", cls="B"), row.format(s=70, lat="43.0", cls="B")]
    lines += [row.format(s=8, lat="43", cls="C")]
    pos, static, _, acct = run(read_noaa, "\n".join(lines).encode())
    assert acct.used == 6 and acct.skipped["invalid_field"] == 2  # latitude -91.5, second 70
    assert pos.device.tolist() == ["A"] * 5 + ["?"]
    assert pos.nav_status.eq(-1).all()
    assert len(static) == 1  # the same static tuple on every row
    s = static.iloc[0]
    assert (s["name"], s.imo, s.time) == ("SHIP", 1234567, pd.Timestamp("2023-01-11T00:00:08", tz="UTC"))
    assert pd.isna(s.ship_type)  # NAIS code 1004 is not an ITU ship type


def test_noaa_time_outside_the_ais_era_is_an_invalid_field_not_a_crash():
    head = (DATA / "test_data_noaa_20230101.csv").read_text().split("\n", 1)[0]
    row = "367000001,{t},43.0,-70.1,5.0,10.0,12.0,SHIP,,,,,,,,,A"
    lines = [head] + [row.format(t=t) for t in ("9999-12-31T00:00:00", "1970-01-01T00:00:00", "2023-01-11T00:00:00")]
    pos, _, _, acct = run(read_noaa, "\n".join(lines).encode())
    assert acct.used == 1 and acct.skipped["invalid_field"] == 2
    assert pos.time.tolist() == [pd.Timestamp("2023-01-11", tz="UTC")]


# -------------------------------------------------------------------- Digitraffic


def js_collections() -> list[dict]:
    text = (SNAPSHOT).read_text()
    return json.loads(re.sub(r"^var shipCollection = ", "", text).rstrip().rstrip(";"))


def test_digitraffic_js_wrapper_real_snapshot():
    pos, static, _, acct = run(read_digitraffic, (SNAPSHOT).read_bytes())
    assert acct.read == 149 and acct.used == 149 and not acct.skipped
    assert acct.by_type["position"] == 149 and len(static) == 0
    assert pos.mmsi.nunique() == 78
    assert pos.time.min() >= pd.Timestamp("2017-02-20 18:27", tz="UTC")
    assert pos.time.max() < pd.Timestamp("2017-02-20 21:08", tz="UTC")
    # First feature: [18.44745, 60.34094666666667], posAcc true, sog 0.1, timestamp 45,
    # timestampExternal 1487615269007, raim false, cog 198.2, navStat 0, rot 0, heading 236.
    r = pos.iloc[0]
    assert (r.mmsi, r.lon, r.lat) == (265546940, 18.44745, 60.34094666666667)
    assert (r.sog, r.cog, r.heading, r.rot) == (0.1, 198.2, 236.0, 0.0)
    assert (r.accuracy, r.raim, r.second, r.nav_status, r.device, r.time_source) == (1, 0, 45, 0, "?", "json")
    assert r.time == pd.Timestamp(1487615269007, unit="ms", tz="UTC")
    # Third feature: rot 128 and heading 511 are 'not available'.
    assert pos.iloc[2].mmsi == 230112970 and np.isnan(pos.iloc[2].rot) and np.isnan(pos.iloc[2].heading)


def test_digitraffic_geojson_document_and_list_of_collections():
    fcs = js_collections()
    n0 = len(fcs[0]["features"])
    pos, _, _, acct = run(read_digitraffic, json.dumps(fcs[0], indent=2).encode())
    assert len(pos) == acct.read == n0
    pos, _, _, acct = run(read_digitraffic, json.dumps(fcs).encode())  # one minified line
    assert len(pos) == acct.read == 149
    data = json.dumps(fcs[0]) + "\n  garbage between values\n" + json.dumps(fcs[1]) + "\n  trailing garbage"
    pos, _, _, acct = run(read_digitraffic, data.encode())
    assert len(pos) == 149 and acct.skipped["malformed"] == 2


def test_digitraffic_json_lines():
    loc = {"time": 1668075025, "sog": 10.7, "cog": 326.6, "navStat": 0, "rot": 10, "posAcc": True, "raim": False,
           "heading": 325, "lon": 20.345818, "lat": 60.03802, "mmsi": 230000001}  # fmt: skip
    meta = {"timestamp": 1668075026035, "destination": "UST LUGA@@", "name": "ARUNA CIHAN", "draught": 68,
            "eta": 733376, "posType": 15, "refA": 160, "refB": 33, "refC": 20, "refD": 12, "callSign": "V7WW7",
            "imo": 9543756, "type": 70, "mmsi": 230000002}  # fmt: skip
    fc = js_collections()[1]
    lines = [
        json.dumps(loc),
        json.dumps({**loc, "rot": -127, "sog": 102.3, "cog": 360.0, "heading": 511, "mmsi": 230000003}),
        json.dumps(meta),
        "",
        "{not json",
        json.dumps({**loc, "lat": 95.0}),  # invalid latitude
        json.dumps({**loc, "mmsi": 0}),  # invalid MMSI
        json.dumps({**loc, "time": "soon"}),  # unparsable time
        json.dumps({"hello": "world"}),  # JSON, but not a record
        json.dumps([1, 2]),  # two non-records
        json.dumps(fc),
        "[" * 100000,  # unterminated
        "[" * 100000 + "]" * 100000,  # valid JSON, but nests too deep for the parser
    ]
    pos, static, _, acct = run(read_digitraffic, "\n".join(lines).encode())
    n_fc = len(fc["features"])
    assert acct.read == len(lines) + 1 + n_fc - 1
    assert dict(acct.skipped) == {"blank": 1, "malformed": 6, "invalid_field": 3}
    assert acct.used == 3 + n_fc and len(pos) == 2 + n_fc and len(static) == 1
    r = pos.iloc[0]
    assert r.time == pd.Timestamp("2022-11-10 10:10:25", tz="UTC")
    assert (r.mmsi, r.lat, r.lon, r.sog, r.cog, r.heading) == (230000001, 60.03802, 20.345818, 10.7, 326.6, 325)
    assert (r.accuracy, r.raim) == (1, 0)
    assert r.rot == 4.0 and r.second == -1  # round((10 / 4.733)^2); v2 payloads carry no UTC second
    s2 = pos.iloc[1]
    assert s2.rot == -127 and np.isnan([s2.sog, s2.cog, s2.heading]).all()
    m = static.iloc[0]
    assert (m.mmsi, m["name"], m.callsign, m.imo, m.ship_type, m.destination, m.draught, m.epfd) == (
        230000002, "ARUNA CIHAN", "V7WW7", 9543756, 70, "UST LUGA", 6.8, 15,
    )  # fmt: skip
    assert (m.to_bow, m.to_stern, m.to_port, m.to_starboard) == (160, 33, 20, 12)
    assert m.time == pd.Timestamp(1668075026035, unit="ms", tz="UTC")


def test_digitraffic_json_lines_starting_with_garbage():
    loc = json.dumps({"time": 1668075025, "lon": 20.3, "lat": 60.0, "mmsi": 230000001})
    pos, _, _, acct = run(read_digitraffic, "\n".join(["\x00garbage", loc, "{broken", loc]).encode())
    assert len(pos) == 2 and acct.read == 4 and acct.skipped["malformed"] == 2


def test_digitraffic_rest_metadata_list():
    meta = [{"mmsi": 230000004, "name": "X", "shipType": 80, "referencePointA": 50, "referencePointB": 10,
             "referencePointC": 5, "referencePointD": 5, "posType": 1, "draught": 0, "imo": 0, "callSign": "OJAB",
             "eta": 0, "timestamp": 1668075026035, "destination": ""}]  # fmt: skip
    _, static, _, acct = run(read_digitraffic, json.dumps(meta, indent=1).encode())
    s = static.iloc[0]
    assert acct.by_type["static"] == 1 and (s.ship_type, s.to_bow, s.epfd, s.callsign) == (80, 50, 1, "OJAB")
    assert pd.isna(s.imo) and np.isnan(s.draught) and pd.isna(s.destination)  # 0 / '' = not available


def test_digitraffic_not_json():
    with pytest.raises(IngestError):
        run(read_digitraffic, b"<html>nope</html>")
    with pytest.raises(IngestError):
        run(read_digitraffic, b"")


@pytest.mark.parametrize("raw", [-128, -127, -126, -50, -1, 0, 1, 5, 50, 126, 127])
def test_rot_matches_pyais(raw):
    got = _rot_from_ais(pd.Series([raw], dtype=object)).iloc[0]
    want = float(to_turn(raw)) if raw != -128 else np.nan
    np.testing.assert_equal(got, want)


# ------------------------------------------------------------------ robustness

_garbage_line = st.one_of(
    st.binary(max_size=300).map(lambda b: b.replace(b"\n", b"")),
    st.text(alphabet=",#\"\r 0123456789.-/:abcAB@\x00\t", max_size=200).map(lambda t: t.encode()),
    st.lists(st.sampled_from(["", "1", "91", "-", "x", '"', "08/02/2018 00:00:00"]), min_size=20, max_size=30).map(
        lambda f: ",".join(f).encode()
    ),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 12), _garbage_line), max_size=12), st.sampled_from([7, 10_000]))
def test_garbage_lines_never_raise_and_keep_accounts(inserts, chunk_lines):
    valid = [dma_row(mmsi=str(219000000 + i)).encode() for i in range(12)]
    lines = list(valid)
    for at, junk in sorted(inserts, reverse=True):
        lines.insert(at, junk)
    data = b"\n".join([DMA_HEADER.encode(), *lines])
    pos, _, _, acct = run(read_dma, data, chunk_lines=chunk_lines)
    assert acct.read == data.count(b"\n") + (not data.endswith(b"\n"))  # a final '\n' ends a line
    assert set(range(219000000, 219000012)) <= set(pos.mmsi)


@settings(max_examples=40, deadline=None)
@given(st.lists(_garbage_line, max_size=8))
def test_digitraffic_json_lines_garbage_never_raises(junk):
    loc = json.dumps({"time": 1668075025, "lon": 20.3, "lat": 60.0, "mmsi": 230000001}).encode()
    pos, _, _, acct = run(read_digitraffic, b"\n".join([loc, *junk, loc]))
    assert acct.used >= 2 and pos.mmsi.tolist().count(230000001) >= 2


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["time", "lat", "lon", "sog", "name", "destination", "shipType"]),
       st.one_of(st.integers(min_value=2**63, max_value=10**400), st.integers(max_value=-(2**63) - 1),
                 st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1),
                 st.text(max_size=5)))
def test_digitraffic_values_json_allows_but_no_table_holds(key, value):
    """Valid JSON an MQTT feed may send -- integers beyond 64 bits, lone surrogates in text -- is
    counted (a record with such a position is an invalid field), never a crash (it stopped the live
    monitor)."""
    rec = {"time": 1668075025, "lon": 20.3, "lat": 60.0, "mmsi": 230000001, "name": "X", key: value}
    good = {"time": 1668075026, "lon": 20.31, "lat": 60.0, "mmsi": 230000002}
    pos, static, _, acct = run(read_digitraffic, b"\n".join(json.dumps(r).encode() for r in (rec, good)))
    assert 230000002 in set(pos["mmsi"]) and acct.read == 2


# ----------------------------------------------------------------------------- AISdb / exactEarth CSV


def test_aisdb_per_message_csv_by_type() -> None:
    import csv

    from gnss_watch import read

    path = DATA / "aisdb_test_data_20210701_head300.csv"
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    ds = read(str(path))
    acct = ds.accounting
    assert acct.sources[str(path)] == "aisdb"
    assert acct.read == len(rows) + 1 and acct.read == acct.used + sum(acct.skipped.values())
    want = {t: sum(r["Message_ID"] == str(t) for r in rows) for t in (1, 2, 3, 9, 18, 19, 21, 27)}
    got = ds.positions["msg_type"].value_counts().to_dict()
    invalid = acct.skipped.get("invalid_field", 0)
    assert sum(want.values()) - invalid <= len(ds.positions) <= sum(want.values())
    assert all(got.get(t, 0) <= n for t, n in want.items())
    first = rows[0]
    p = ds.positions
    hit = p[(p["mmsi"] == int(first["MMSI"]))].iloc[0]
    assert hit["time"] == pd.Timestamp(pd.to_datetime(first["Time"], format="%Y%m%d_%H%M%S", utc=True)
                                       + pd.Timedelta(milliseconds=int(first["Millisecond"])))
    assert (p.loc[p["msg_type"] == 27, "second"] == -1).all()  # type 27 has no UTC-second field
    if len(ds.base_stations):
        assert ds.base_stations["utc_valid"].all() and ds.base_stations["utc_offset_s"].abs().max() < 60
    five = [r for r in rows if r["Message_ID"] == "5" and r["Draught"] not in ("", "None", "0")]
    if five:
        v = ds.vessels.set_index("mmsi").loc[int(five[-1]["MMSI"])]
        assert v["draught"] == pytest.approx(int(five[-1]["Draught"]) / 10)


# ---------------------------------------------------------------------- generic CSV


@pytest.mark.parametrize("sep,decimal", [(",", "."), (";", ","), (";", "."), ("\t", "."), ("|", ".")])
def test_generic_csv_round_trips_a_real_nmea_file(tmp_path: Path, sep: str, decimal: str) -> None:
    """A real NMEA file's positions, written as a plain decoded CSV (also as spreadsheets in
    decimal-comma locales write it: ';' between fields), read back the same."""
    from gnss_watch import read

    nmea = read(str(DATA / "nmea" / "nmea_data_sample.txt")).positions
    assert len(nmea) > 500
    out = nmea[["mmsi", "lat", "lon", "sog", "cog", "heading", "second", "accuracy", "raim", "msg_type"]].copy()
    out.insert(1, "Timestamp", (nmea["time"].astype("int64") // 10**6))  # epoch milliseconds
    out["lat"], out["lon"] = out["lat"].fillna(91.0), out["lon"].fillna(181.0)
    out.columns = ["MMSI", "Timestamp", "Latitude", "Longitude", "SOG", "COG", "True Heading", "UTC second",
                   "position_accuracy", "RAIM", "Message Type"]
    # the same report heard twice is one report in a table too
    out = out.drop_duplicates(["MMSI", "Timestamp", "Latitude", "Longitude", "SOG", "COG"])
    nmea = nmea.loc[out.index]
    path = tmp_path / "export.csv"
    out.to_csv(path, index=False, sep=sep, decimal=decimal)
    ds = read(str(path))
    assert ds.accounting.sources[str(path)] == "csv"
    assert ds.accounting.used == len(nmea) and dict(ds.accounting.skipped) == {"header": 1}
    got = ds.positions.sort_values(["time", "mmsi"], kind="stable").reset_index(drop=True)
    want = nmea.sort_values(["time", "mmsi"], kind="stable").reset_index(drop=True)
    for col in ("mmsi", "second", "accuracy", "raim", "msg_type", "device"):
        assert got[col].astype(str).tolist() == want[col].astype(str).tolist(), col
    assert (got["time"] - want["time"]).abs().max() < pd.Timedelta(milliseconds=1)
    for col in ("lat", "lon", "sog", "cog", "heading"):
        np.testing.assert_allclose(got[col].to_numpy(float), want[col].to_numpy(float), atol=1e-6, err_msg=col)


def test_generic_csv_spellings_times_and_bad_rows() -> None:
    lines = [
        "Ship Name,mmsi,datetime,LAT,Lng,speed,course,Nav Status,class,IMO,vessel_type,draft,msg_type",
        "ALPHA@@,230000001,2024-06-01T00:00:00Z,60.0,25.0,12.5,90,Under way using engine,Class A,IMO1234567,70,"
        "8.5,1",
        "ALPHA,230000001,2024-06-01 00:00:10,60.0,25.001,12.5,90,0,A,,,,",  # no offset: UTC
        "BETA,230000002,1717200000,91,181,,,at anchor,B,,,,",  # epoch seconds; 91/181: no position
        "GAMMA,230000003,01/06/2024 00:00:00,60.1,25.1,1,1,0,A,,,,",  # day or month first: ambiguous
        ",230000004,2024-06-01T00:00:00Z,95.0,25.0,1,1,0,A,,,,",  # latitude out of range
        "STATION,2300005,2024-06-01T00:00:00Z,60.2,25.2,,,,,,,,4",  # a base station
        "EPS,230000008,2024-06-01T00:00:00Z,60.3,25.3,63,1,0,A,,,,27",  # type 27: class from the type, SOG n/a
        "ALPHA,230000001,2024-06-01T00:01:00Z,,,,,,,,,,5",  # static only
        "DELTA,230000007,20240601120005,60.1,25.1,1,1,0,A,,,,",  # compact stamp: no epoch (year 2611)
        "DELTA,230000007,9999-12-31T00:00:00,60.1,25.1,1,1,0,A,,,,",  # a sentinel, not a time
    ]
    pos, static, base, acct = run(read_generic, "\n".join(lines).encode())
    assert acct.used == 6 and dict(acct.skipped) == {"header": 1, "invalid_field": 4}
    assert len(acct.warnings) == 1 and "3 rows have a time" in acct.warnings[0]
    assert pos.mmsi.tolist() == [230000001, 230000001, 230000002, 230000008]
    assert pos.time.tolist()[:3] == [pd.Timestamp("2024-06-01T00:00:00", tz="UTC"),
                                     pd.Timestamp("2024-06-01T00:00:10", tz="UTC"),
                                     pd.Timestamp(1717200000, unit="s", tz="UTC")]
    assert pos.nav_status.tolist() == [0, 0, 1, 0] and pos.device.tolist() == ["A", "A", "B", "A-LR"]
    assert pos.lat.isna().tolist() == [False, False, True, False] and pos.sog.iloc[0] == 12.5
    assert pd.isna(pos.sog.iloc[3])
    assert base.mmsi.tolist() == [2300005] and base.lat.iloc[0] == 60.2
    assert 2300005 not in set(static.mmsi)  # a base station has no ship data
    s = static[static["mmsi"] == 230000001].iloc[0]
    assert (s["name"], s.imo, s.ship_type, s.draught) == ("ALPHA", 1234567, 70, 8.5)


def test_semicolon_csv_fields_keep_their_commas_and_bad_numbers_cost_their_row() -> None:
    lines = [
        "MMSI;Time;Latitude;Longitude;SOG;Name;Destination",
        '230000001;2024-06-01T00:00:00Z;59,93;24,5;12,5;"NORD; STAR";"KOTKA, FI"',
        "230000001;2024-06-01T00:01:00Z;59,931;24,501;12,5;NORD STAR;RU ULU",
        "230000001;2024-06-01T00:02:00Z;59,9x;24,502;12,5;NORD STAR;RU ULU",  # not a number
        "230000001,2024-06-01T00:03:00Z,59.932,24.503,12.5,NORD STAR,RU ULU",  # another separator
    ]
    pos, static, _, acct = run(read_generic, "\n".join(lines).encode())
    assert acct.used == 2 and dict(acct.skipped) == {"header": 1, "invalid_field": 1, "malformed": 1}
    assert pos.lat.tolist() == [59.93, 59.931] and pos.sog.tolist() == [12.5, 12.5]
    assert static.iloc[0][["name", "destination"]].tolist() == ["NORD; STAR", "KOTKA, FI"]


def test_generic_csv_flags_and_labels_read_per_value_as_per_row() -> None:
    # Conversions run once per distinct text, never merging numbers that compare equal:
    # '-0' is no accuracy flag (0 or 1), whichever row comes first.
    rows = ["mmsi,time,lat,lon,sog,cog,accuracy,Nav Status"]
    for k, (acc, nav) in enumerate([("-0", "At anchor"), ("0", "at anchor "), ("1", "AT ANCHOR"), ("0", "moored"),
                                    ("-0", ""), ("1.0", "Moored")]):
        rows.append(f"230000001,2024-06-01T00:00:{10 * k:02d}Z,60.0,25.00{k},1,90,{acc},{nav}")
    pos = run(read_generic, "\n".join(rows).encode())[0]
    assert pos.accuracy.tolist() == [-1, 0, 1, 0, -1, 1]
    assert pos.nav_status.tolist() == [1, 1, 1, 5, -1, 5]


@pytest.mark.parametrize("header", [
    "mmsi;date_time_utc;lon;lat;sog;cog;true_heading;nav_status;rot;message_nr;source",  # Norwegian Kystverket
    "mmsi,timestamp,latitude,longitude,speed,course,heading,navstat,name",  # Spire-like
    "MMSI\tEpoch\tLAT\tLON\tSOG",
])
def test_generic_csv_headers_of_other_exporters_are_read(tmp_path: Path, header: str) -> None:
    from gnss_watch import read

    sep = next(c for c in ";\t," if c in header)
    names = re.split(r"[;,\t]", header)
    values = {"mmsi": "257000001", "lat": "68.4", "lon": "16.1", "latitude": "68.4", "longitude": "16.1"}
    row = []
    for name in names:
        key = name.lower()
        row.append(values.get(key, "1717200000" if key in ("timestamp", "epoch") else
                              "2024-06-01 00:00:00" if "time" in key else "3"))
    p = tmp_path / "export.csv"
    p.write_text(header + "\n" + sep.join(row) + "\n")
    pos = read(str(p)).positions
    assert pos[["mmsi", "lat", "lon"]].values.tolist() == [[257000001, 68.4, 16.1]]
    assert pos["time"].iloc[0] == pd.Timestamp("2024-06-01", tz="UTC")


def test_generic_csv_is_sniffed_and_other_csv_is_not_ais(tmp_path: Path) -> None:
    from gnss_watch import read
    from gnss_watch.ingest import NotAISError

    p = tmp_path / "track.csv"
    p.write_text("mmsi,time,lat,lon\n230000001,2024-06-01T00:00:00Z,60.0,25.0\n")
    assert len(read(str(p)).positions) == 1
    q = tmp_path / "weather.csv"
    q.write_text("time,lat,lon,wind\n2024-06-01T00:00:00Z,60.0,25.0,7\n")  # no MMSI: not AIS
    with pytest.raises(NotAISError, match="not AIS"):
        read(str(q))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 12), _garbage_line), max_size=12), st.sampled_from([7, 10_000]),
       st.sampled_from([",", ";", "\t"]))
def test_generic_csv_garbage_never_raises_and_keeps_accounts(inserts, chunk_lines, sep):
    decimal = "," if sep == ";" else "."
    lines = [sep.join([str(230000000 + i), f"2024-06-01T00:00:{i:02d}Z", "60.5", "25.5", "10.5"])
             .replace(".5", decimal + "5").encode() for i in range(12)]
    for at, junk in sorted(inserts, reverse=True):
        lines.insert(at, junk)
    data = b"\n".join([sep.join(["mmsi", "timestamp", "lat", "lon", "sog"]).encode(), *lines])
    pos, _, _, acct = run(read_generic, data, chunk_lines=chunk_lines)
    assert acct.read == data.count(b"\n") + (not data.endswith(b"\n"))
    assert acct.used + sum(acct.skipped.values()) == acct.read
    assert set(range(230000000, 230000012)) <= set(pos.mmsi)
    assert (pos.loc[pos.mmsi.between(230000000, 230000011), ["lat", "lon", "sog"]] == [60.5, 25.5, 10.5]).all().all()


def test_table_headers_below_a_title_line_are_sniffed(tmp_path: Path) -> None:
    from gnss_watch import read

    p = tmp_path / "export.csv"
    p.write_text("sep=,\nVessel positions, exported 2024-06-01\n\nmmsi,time,lat,lon\n"
                 "230000001,2024-06-01T00:00:00Z,60.0,25.0\n")
    ds = read(str(p))
    assert ds.accounting.sources[str(p)] == "csv" and len(ds.positions) == 1
    q = tmp_path / "noaa.csv"
    q.write_text("title line\n" + (DATA / "test_data_noaa_20230101.csv").read_text())
    assert read(str(q)).accounting.sources[str(q)] == "noaa"
    r = tmp_path / "log.nmea"  # a comment line that merely starts like a DMA header stays NMEA
    r.write_text("# timestamps are receive times\n" + (DATA / "nmea" / "nmea_data_sample.txt").read_text())
    assert read(str(r)).accounting.sources[str(r)] == "nmea"
