"""The scenario simulator: valid NMEA, realistic traffic off land, truth that matches what was written."""

import gzip
import json
import re
from collections import Counter
from functools import reduce
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import shapely
from pyais import decode
from pyais.encode import encode_dict

from gnss_watch import land
from gnss_watch.simulate import FILES, PROFILES, simulate
from gnss_watch.simulate.encode import position_payloads, tenths
from gnss_watch.simulate.interference import JamZone, apply_jamming
from gnss_watch.simulate.ports import land_conflicts
from gnss_watch.simulate.traffic import AT_ANCHOR, UNDER_WAY, class_a_interval
from gnss_watch.simulate.writers import _DMA_COLUMNS

# Seed 11 gives the small scenario two jamming zones, each with a base station inside.
SEED = 11
SMALL = dict(vessels=30, hours=1.0)
TAG_LINE = re.compile(r"^\\([^*\\]*)\*([0-9A-F]{2})\\(!AIVD[MO],.*)$")


def _xor(text: str) -> str:
    return f"{reduce(lambda a, b: a ^ b, text.encode(), 0):02X}"


def _sentence_ok(sentence: str) -> bool:
    body, cs = sentence[1:].rsplit("*", 1)
    return _xor(body) == cs


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    out = tmp_path_factory.mktemp("scenario")
    files = simulate(SEED, out, formats=("nmea", "pghp", "dma"), **SMALL)
    truth = json.loads(files["truth"].read_text())
    labels = pd.read_csv(files["labels"], keep_default_na=False, na_values=["NaN"])
    labels["time"] = pd.to_datetime(labels["time"])
    return SimpleNamespace(dir=out, files=files, truth=truth, labels=labels)


@pytest.fixture(scope="module")
def decoded(scenario):
    """Every message of scenario.nmea.gz decoded with pyais, checking every checksum and group."""
    rows = []
    groups: dict[str, list[str]] = {}
    for line in gzip.open(scenario.files["nmea"], "rt"):
        m = TAG_LINE.match(line.rstrip("\n"))
        assert m, line
        tag, tag_cs, sentence = m.groups()
        assert _xor(tag) == tag_cs, line
        assert _sentence_ok(sentence), line
        fields = dict(f.split(":", 1) for f in tag.split(","))
        if sentence.split(",")[1] == "1":
            rows.append((fields, decode(sentence), sentence.split(",")[5]))
            continue
        part, total, gid = fields["g"].split("-")
        groups.setdefault(gid, []).append(sentence)
        if part == "1":
            head = fields
        if len(groups[gid]) == int(total):
            parts = groups.pop(gid)
            rows.append((head, decode(*parts), "".join(p.split(",")[5] for p in parts)))
    assert not groups, "incomplete multi-sentence groups"
    return rows


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_profile_lanes_and_points_are_on_water(profile):
    assert land_conflicts(profile) == []


def test_nmea_decodes_completely_with_every_message_type(decoded, scenario):
    types = Counter(msg.msg_type for _, msg, _ in decoded)
    assert {1, 3, 4, 5, 18, 24} <= set(types)
    assert all("s" in f and "c" in f for f, _, _ in decoded)
    # Each position report transmitted and heard is one label; other stations' receptions of it
    # (the same payload within seconds) are duplicates.
    rx = pd.DataFrame([(payload, int(f["c"])) for f, msg, payload in decoded if msg.msg_type in (1, 3, 18)],
                      columns=["payload", "c"]).sort_values(["payload", "c"])
    new = (rx["payload"] != rx["payload"].shift()) | (rx["c"].diff() > 300)
    assert new.sum() == len(scenario.labels)
    assert len(rx) > 1.2 * len(scenario.labels)


def test_base_station_time_is_right_or_not_available_inside_a_zone(decoded, scenario):
    zones = scenario.truth["jamming_zones"]
    for fields, msg, _ in decoded:
        if msg.msg_type != 4:
            continue
        rx = int(fields["c"])
        if msg.year == 0:
            assert (msg.month, msg.day, msg.hour, msg.minute, msg.second) == (0, 0, 24, 60, 60)
            assert any(msg.mmsi in z["base_stations"] and
                       pd.Timestamp(z["start"]).timestamp() - 1 <= rx <= pd.Timestamp(z["end"]).timestamp() + 2
                       for z in zones)
        else:
            utc = pd.Timestamp(msg.year, msg.month, msg.day, msg.hour, msg.minute, msg.second, tz="UTC")
            assert 0 <= rx - utc.timestamp() <= 3


def test_pghp_file_is_dma_layout(scenario):
    lines = gzip.open(scenario.files["pghp"], "rt").read().splitlines()
    n_header = 0
    for i, line in enumerate(lines):
        if line.startswith("$PGHP"):
            n_header += 1
            assert _sentence_ok(line)
            f = line.split("*")[0].split(",")
            assert len(f) == 14 and f[1] == "1" and f[12] == "1"
            assert lines[i - 1].startswith("\\si:") and lines[i + 1].startswith("!BSVD")
            assert f[13] == lines[i + 1][-2:]  # checksum of the sentence that follows
        elif line.startswith("!"):
            assert _sentence_ok(line)
    assert n_header == sum(1 for line in gzip.open(scenario.files["nmea"], "rt") if "c:" in line)


def test_dma_csv_has_the_aisdk_columns_and_one_row_per_message(scenario):
    dma = pd.read_csv(scenario.files["dma"])
    assert list(dma.columns) == _DMA_COLUMNS
    assert (dma["Type of mobile"] != "Base Station").sum() == len(scenario.labels)
    assert set(dma["Type of mobile"]) == {"Class A", "Class B", "Base Station"}
    pd.to_datetime(dma["# Timestamp"], format="%d/%m/%Y %H:%M:%S")  # raises if any timestamp is malformed


def test_ingest_reads_every_format_skipping_only_duplicates(scenario):
    ingest = pytest.importorskip("gnss_watch.ingest")
    for kind in ("nmea", "pghp", "dma"):
        ds = ingest.read(str(scenario.files[kind]))
        skipped = set(ds.accounting.skipped)
        assert skipped <= ({"header"} if kind == "dma" else {"duplicate"}), (kind, ds.accounting.to_dict())
        assert len(ds.positions) == len(scenario.labels), kind


def test_clean_tracks_stay_off_land(scenario):
    lab = scenario.labels
    clean = lab[lab["mmsi"].isin(scenario.truth["clean_mmsi"]) & (lab["label"] == "clean")]
    assert not land.on_land(clean["lon_true"], clean["lat_true"]).any()
    assert not land.on_land(clean["lon_reported"], clean["lat_reported"]).any()
    shared = {v["mmsi"] for v in scenario.truth["vessels"] if v["behaviour"] == "shared_mmsi"}
    track = clean[~clean["mmsi"].isin(shared)].sort_values(["mmsi", "time"])
    same = track["mmsi"].to_numpy()[1:] == track["mmsi"].to_numpy()[:-1]
    lon, lat = track["lon_true"].to_numpy(), track["lat_true"].to_numpy()
    assert not land.segment_crosses_land(lon[:-1][same], lat[:-1][same], lon[1:][same], lat[1:][same]).any()


def test_spoofed_labels_lie_in_their_event_windows(scenario):
    events = {e["event_id"]: e for e in scenario.truth["spoofing_events"]}
    assert {e["kind"] for e in events.values()} == {"displacement", "circle", "fake_track", "teleport"}
    spoofed = scenario.labels[scenario.labels["label"] == "spoofed"]
    assert set(spoofed["event_id"]) == set(events)
    for row in spoofed.itertuples():
        e = events[row.event_id]
        assert row.mmsi == e["mmsi"]
        assert pd.Timestamp(e["start"]) <= row.time <= pd.Timestamp(e["end"])
    # A spoofed position is far from the truth; the claimed point is where the ship was reported.
    far = np.hypot(spoofed["lat_reported"] - spoofed["lat_true"], spoofed["lon_reported"] - spoofed["lon_true"])
    assert (far > 0.005).mean() > 0.9
    groups = Counter(e["group"] for e in events.values() if e["kind"] == "displacement")
    assert len(groups) == 1 and list(groups.values())[0] >= 3
    for e in events.values():
        if e["kind"] == "displacement":
            assert land.distance_inland_m(e["claimed_lon"], e["claimed_lat"]) > 2000


def test_jammed_labels_lie_in_their_zone_window_and_disc(scenario):
    zones = {z["zone_id"]: z for z in scenario.truth["jamming_zones"]}
    jammed = scenario.labels[scenario.labels["label"] == "jammed"]
    assert len(jammed) > 0
    for zid, rows in jammed.groupby("zone_id"):
        z = zones[zid]
        disc = shapely.Polygon(z["geometry"]["coordinates"][0])
        assert rows["time"].between(pd.Timestamp(z["start"]), pd.Timestamp(z["end"])).all()
        assert shapely.contains_xy(disc, rows["lon_true"], rows["lat_true"]).all()
        assert set(rows["mmsi"]) <= set(z["affected_mmsi"])
    # Positions 'not available' (91/181) are written as NaN.
    assert jammed["lat_reported"].isna().any()


def test_truth_references_only_vessels_present(scenario, decoded):
    t = scenario.truth
    sent = {msg.mmsi for _, msg, _ in decoded}
    vessels = {v["mmsi"] for v in t["vessels"]}
    assert vessels <= sent
    spoofed = {e["mmsi"] for e in t["spoofing_events"]}
    affected = {m for z in t["jamming_zones"] for m in z["affected_mmsi"]}
    assert (spoofed | affected | set(t["clean_mmsi"])) <= vessels
    assert not set(t["clean_mmsi"]) & (spoofed | affected)
    assert set(scenario.labels["mmsi"]) <= vessels
    # Clean vessels are the majority, and the tricky normal cases are among them.
    assert len(t["clean_mmsi"]) > len(vessels) / 2
    tricky = {v["mmsi"] for v in t["vessels"] if v["behaviour"] in ("shared_mmsi", "gap", "harbour_turn", "ferry")}
    assert tricky and tricky <= set(t["clean_mmsi"])
    assert t["start"] == "2024-06-01T00:00:00Z" and t["end"] == "2024-06-01T01:00:00Z"


def test_reporting_intervals_follow_itu(scenario):
    """ITU-R M.1371-5: Class A at anchor every 3 min, Class B 'CS' every 30 s or 3 min, never faster."""
    lab = scenario.labels.sort_values("time")
    behaviour = {v["mmsi"]: v["behaviour"] for v in scenario.truth["vessels"]}
    gaps = lab.groupby("mmsi")["time"].diff().dt.total_seconds()
    by = lab.assign(gap=gaps, behaviour=lab["mmsi"].map(behaviour)).dropna(subset=["gap"])
    by = by[by["behaviour"] != "shared_mmsi"]
    anchored = by[by["behaviour"] == "anchored"]["gap"]
    assert len(anchored) and anchored.min() > 170
    leisure = by[by["behaviour"] == "leisure"]["gap"]
    assert len(leisure) and leisure.min() > 29
    assert by["gap"].min() > 1.8


def test_class_a_interval_table():
    sog = np.array([0.1, 5, 5, 16, 16, 25, 4, 0.5])
    rot = np.array([0, 0, 30, 0, 30, 0, 0, 0])
    status = np.array([AT_ANCHOR, UNDER_WAY, UNDER_WAY, UNDER_WAY, UNDER_WAY, UNDER_WAY, AT_ANCHOR, UNDER_WAY])
    assert class_a_interval(sog, rot, status).round(2).tolist() == [180, 10, 3.33, 6, 2, 2, 10, 10]


def test_same_seed_same_bytes_other_seed_differs(scenario, tmp_path):
    again = simulate(SEED, tmp_path / "again", **SMALL)
    for kind in ("nmea", "truth", "labels"):
        assert again[kind].read_bytes() == scenario.files[kind].read_bytes(), kind
    other = simulate(SEED + 1, tmp_path / "other", **SMALL)
    assert other["nmea"].read_bytes() != scenario.files["nmea"].read_bytes()


def test_interference_off_gives_a_clean_scenario(tmp_path):
    files = simulate(SEED, tmp_path, vessels=15, hours=0.5, profile="baltic", interference=False)
    truth = json.loads(files["truth"].read_text())
    labels = pd.read_csv(files["labels"])
    assert truth["spoofing_events"] == [] and truth["jamming_zones"] == []
    assert set(labels["label"]) == {"clean"}
    assert sorted(truth["clean_mmsi"]) == sorted({v["mmsi"] for v in truth["vessels"]})
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([FILES["nmea"], FILES["truth"], FILES["labels"]])


def test_position_payloads_are_identical_to_pyais():
    rng = np.random.default_rng(0)
    n = 400
    nan_or = lambda x, p=0.15: np.where(rng.random(n) < p, np.nan, x)  # noqa: E731
    rep = pd.DataFrame({
        "msg_type": rng.choice([1, 3, 18], n), "mmsi": rng.integers(200_000_000, 799_999_999, n),
        "nav_status": rng.integers(0, 16, n), "rot": nan_or(rng.uniform(-120, 120, n)),
        "sog": nan_or(rng.uniform(0, 40, n)), "accuracy": rng.integers(0, 2, n),
        "lon": nan_or(rng.uniform(-180, 180, n)), "lat": nan_or(rng.uniform(-90, 90, n)),
        "cog": nan_or(rng.uniform(0, 360, n)), "heading": np.where(rng.random(n) < 0.2, 511, rng.integers(0, 360, n)),
        "second": rng.integers(0, 64, n), "raim": rng.integers(0, 2, n), "radio": rng.integers(0, 2**19, n),
    })
    for r, mine in zip(rep.itertuples(), position_payloads(rep)):
        d = {"msg_type": r.msg_type, "mmsi": r.mmsi, "accuracy": r.accuracy, "heading": r.heading,
             "speed": tenths(min(r.sog, 102.2)) if r.sog == r.sog else 102.3,
             "lon": r.lon if r.lon == r.lon else 181.0, "lat": r.lat if r.lat == r.lat else 91.0,
             "course": tenths(r.cog) % 360 if r.cog == r.cog else 360.0,
             "second": r.second, "raim": r.raim, "radio": r.radio}
        if r.msg_type == 18:
            d.update(cs=1, display=0, dsc=1, band=1, msg22=1, assigned=0)
        else:
            d.update(status=r.nav_status, turn=r.rot if r.rot == r.rot else -128, maneuver=0)
        assert encode_dict(d, talker_id="AI", sentence_type="VDM")[0].split(",")[5] == mine
        assert decode(f"!AIVDM,1,1,,A,{mine},0*00", error_if_checksum_invalid=False).msg_type == r.msg_type


def test_jamming_shows_every_transponder_behaviour():
    """Ships sailing east through a zone: 'not available', dead reckoning, frozen fix, or silence."""
    n_ships, n_rep = 200, 30
    t = np.tile(np.arange(n_rep) * 10.0, n_ships)
    vessel = np.repeat(np.arange(n_ships), n_rep)
    lon = 25.0 + np.tile(np.arange(n_rep), n_ships) * 0.001  # ~55 m per 10 s: 10.8 kn east
    rep = pd.DataFrame({
        "t": t, "vessel": vessel, "lon_true": lon, "lat_true": 60.0, "lon": lon, "lat": 60.0, "sog": 10.8,
        "cog": 90.0, "second": (t % 60).astype(int), "accuracy": 1, "raim": 0, "sync": 0, "transmitted": True,
        "label": "clean", "zone_id": "",
    })
    fleet = [SimpleNamespace(behaviour="transit", device="A") for _ in range(n_ships)]
    zone = JamZone("J001", "test", 25.0, 60.0, 30_000.0, 95.0, 1e6)
    apply_jamming(rep, fleet, [zone], (), np.random.default_rng(3))
    jam = rep[rep["label"] == "jammed"]
    assert (jam["t"] >= 95).all() and len(zone.affected) > 0.8 * n_ships
    na = jam[jam["lat"].isna()]
    assert len(na) and (na["second"] == 63).all() and (na["accuracy"] == 0).all() and na["sog"].isna().all()
    dr = jam[jam["second"] == 62]
    assert len(dr) and (dr["accuracy"] == 0).all()
    assert np.allclose(dr["lon"], dr["lon_true"], atol=2e-4)  # extrapolated along the unchanged course
    frozen = jam[jam["transmitted"] & jam["lat"].notna() & (jam["second"] < 60)]
    assert len(frozen) and np.allclose(frozen["lon"], 25.009)  # the last fix, at t = 90 s
    assert (~jam["transmitted"]).any() and (jam["sync"] == 1).all()
    # Unaffected ships (robust receivers) stay clean throughout.
    clean_late = rep[(rep["label"] == "clean") & (rep["t"] >= 95)]
    assert set(clean_late["vessel"]).isdisjoint(zone.affected)


@pytest.mark.parametrize("bad, says", [
    (["--formats", "xyz"], "unknown format(s) ['xyz']"), (["--formats", ","], "no output format"),
    (["--vessels", "0"], "at least one vessel"), (["--hours", "-1"], "more than 0 and at most"),
    (["--hours", "nan"], "more than 0"), (["--hours", "inf"], "at most 744 hours"),
    (["--start", "yesterday"], "start 'yesterday'"), (["--start", "9999-12-31T23:00:00Z"], "AIS era"),
])
def test_cli_simulate_bad_arguments_exit_2_in_one_line(tmp_path, capsys, bad, says) -> None:
    from gnss_watch.cli import main

    assert main(["simulate", "--seed", "1", "--out", str(tmp_path / "s"), *bad]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1 and not (tmp_path / "s").exists()
