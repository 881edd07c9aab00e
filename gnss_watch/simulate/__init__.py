"""Scenario simulator: realistic Baltic AIS traffic with GNSS jamming and spoofing, and the truth.

``simulate(seed, out_dir)`` writes, in ``out_dir``:

* ``scenario.nmea.gz``: NMEA 4.10 tag blocks ``\\s:STATION,c:UNIX*hh\\!AIVDM,...``,
  one line per reception (several stations hear most messages), two-part
  type 5 messages grouped with ``g:``;
* ``scenario_pghp.nmea.gz`` (format ``"pghp"``): the same receptions in the
  Danish Maritime Authority layout, a ``$PGHP`` line with the receive time
  before each message;
* ``scenario_dma.csv`` (format ``"dma"``): DMA 'aisdk' CSV, one row per message;
* ``truth.json`` and ``labels.csv``, as specified in ``docs/truth_format.md``.

The same seed gives byte-identical files. Each stage draws from its own random
stream (``numpy.random.SeedSequence.spawn``), so changing one stage does not
reshuffle the others.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..config import IngestConfig
from ..ingest.base import ERA_S
from .encode import base_payload, position_payloads, quantise_latlon, radio_states, static_payloads
from .interference import apply_jamming, apply_spoofing, place_zones
from .interference import plan as plan_interference
from .ports import PROFILES, get_profile
from .reception import StationModel, base_reports, receive
from .traffic import build_fleet, position_reports, static_reports
from .writers import dma_csv, iso, labels_csv, nmea_pghp_lines, nmea_tagblock_lines, truth_json, write_gzip

__all__ = ["simulate", "check_arguments", "PROFILES", "FORMATS"]

FORMATS = ("nmea", "pghp", "dma")
#: A month: longer scenarios are a memory problem, not a test of anything more.
MAX_HOURS = 744.0
FILES = {"nmea": "scenario.nmea.gz", "pghp": "scenario_pghp.nmea.gz", "dma": "scenario_dma.csv",
         "truth": "truth.json", "labels": "labels.csv"}


def check_arguments(vessels: int, hours: float, formats: tuple[str, ...], start: str) -> pd.Timestamp:
    """The scenario's start as a UTC time, after checking :func:`simulate`'s arguments (ValueError
    saying which one is wrong)."""
    unknown = set(formats) - set(FORMATS)
    if unknown or not formats:
        what = f"unknown format(s) {sorted(unknown)}" if unknown else "no output format"
        raise ValueError(f"{what} (choose from {', '.join(FORMATS)})")
    if vessels < 1 or not 0 < hours <= MAX_HOURS:
        raise ValueError(f"need at least one vessel and a duration of more than 0 and at most {MAX_HOURS:g} hours")
    try:
        t0 = pd.Timestamp(start)
    except ValueError:
        t0 = pd.NaT
    if t0 is pd.NaT:
        raise ValueError(f"start {start!r}: not an ISO 8601 time such as 2024-06-01T00:00:00Z")
    t0 = t0.tz_localize("UTC") if t0.tzinfo is None else t0.tz_convert("UTC")
    if not ERA_S[0] <= t0.timestamp() < ERA_S[1] - hours * 3600:
        raise ValueError(f"start {start!r}: the scenario must lie in the AIS era (1990 to 2099)")
    return t0


def simulate(
    seed: int,
    out_dir: str | Path,
    vessels: int = 150,
    hours: float = 3.0,
    profile: str = "gulf_of_finland",
    formats: tuple[str, ...] = ("nmea",),
    start: str = "2024-06-01T00:00:00Z",
    interference: bool = True,
) -> dict[str, Path]:
    """Generate one scenario and write it to ``out_dir``; return the files written by kind.

    ``vessels`` ships over ``hours`` hours from ``start`` (ISO 8601 UTC) in the
    named ``profile`` ('gulf_of_finland' or 'baltic'). ``formats`` picks the AIS
    outputs ('nmea', 'pghp', 'dma'); truth.json and labels.csv are always written.
    ``interference=False`` gives a clean scenario: no jamming, no spoofing.
    """
    prof = get_profile(profile)
    t0 = check_arguments(vessels, hours, formats, start)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t0_unix = t0.timestamp()
    T = float(hours) * 3600.0
    rng_plan, rng_fleet, rng_reports, rng_stations, rng_spoof, rng_jam, rng_radio, rng_rx = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8))
    scale = max(1, round(vessels * hours / 450))

    plan = plan_interference(prof, T, scale, interference, rng_plan)
    fleet = build_fleet(prof, vessels, T, rng_fleet, plan.port_calls,
                        [(g.anchorage, g.n_pinned) for g in plan.displacement])
    zones = place_zones(prof, fleet, T, plan.n_zones, rng_plan)
    rep = position_reports(fleet, T, rng_reports)
    rep = rep.assign(label="clean", zone_id="", spoof_idx=-1)
    stations = StationModel.draw(prof.stations, T, rng_stations)
    events = apply_spoofing(rep, fleet, prof, plan, T, stations.coverage, rng_spoof)
    apply_jamming(rep, fleet, zones, prof.stations, rng_jam)
    rep["lon"], rep["lat"] = quantise_latlon(rep["lon"]), quantise_latlon(rep["lat"])

    tx = _transmissions(rep, fleet, prof.stations, zones, T, t0, t0_unix, rng_radio)
    rx = receive(stations, tx, rng_rx)
    rx = rx.sort_values(["rx_time", "tx", "station"], kind="stable", ignore_index=True)

    written: dict[str, Path] = {}
    if "nmea" in formats:
        written["nmea"] = out / FILES["nmea"]
        write_gzip(written["nmea"], nmea_tagblock_lines(rx, tx, prof.stations, t0_unix))
    if "pghp" in formats:
        written["pghp"] = out / FILES["pghp"]
        write_gzip(written["pghp"], nmea_pghp_lines(rx, tx, prof.stations, t0))
    if "dma" in formats:
        written["dma"] = out / FILES["dma"]
        dma_csv(written["dma"], _dma_rows(rep, tx, rx, fleet, prof.stations, t0), t0)

    labels, truth = _truth(rep, tx, rx, fleet, events, zones, prof, seed, t0, T)
    written["truth"] = out / FILES["truth"]
    truth_json(written["truth"], truth)
    written["labels"] = out / FILES["labels"]
    labels_csv(written["labels"], labels, t0)
    return written


def _unique_payloads(rep: pd.DataFrame) -> list[str]:
    """Encode the reports, nudging the radio field of any report whose payload repeats one of the
    same ship within ingest's dedup window (e.g. a jammed Class B: 91/181, second 63), which
    would otherwise be taken for one message heard twice."""
    window = IngestConfig().dedup_window_s
    payloads = position_payloads(rep)
    radio = rep.columns.get_loc("radio")
    for attempt in range(50):
        df = pd.DataFrame({"p": payloads, "t": rep["t"].to_numpy()}).sort_values(["p", "t"])
        new_run = (df["p"] != df["p"].shift()) | (df["t"] - df["t"].shift() >= window)
        rank = df.groupby(new_run.cumsum()).cumcount()
        rows = df.index[rank.to_numpy() > 0].to_numpy()
        if rows.size == 0:
            return payloads
        # a large odd stride (mod the 19-bit field) so a nudged state does not land on a neighbour's
        step = rank[rank > 0].to_numpy() * (104_729 + 2 * attempt)
        rep.iloc[rows, radio] = (rep.iloc[rows, radio].to_numpy() + step) % (1 << 19)
        for r, p in zip(rows, position_payloads(rep.iloc[rows])):
            payloads[r] = p
    raise RuntimeError("could not make position payloads unique")


def _transmissions(rep: pd.DataFrame, fleet, stations, zones, T: float, t0: pd.Timestamp, t0_unix: float,
                   rng: np.random.Generator) -> pd.DataFrame:
    """Every transmission (positions, statics, base stations) with its payload and who may hear it."""
    rep["radio"] = radio_states(rep, t0_unix, rng)
    sent = rep.index[rep["transmitted"].to_numpy()].to_numpy()
    pos_payloads = _unique_payloads(rep.loc[sent])
    class_b = np.array([v.device == "B" for v in fleet])
    pos = pd.DataFrame({
        "t": rep.loc[sent, "t"].to_numpy(), "kind": "pos", "ref": sent, "vessel": rep.loc[sent, "vessel"].to_numpy(),
        "lon": rep.loc[sent, "lon_true"].to_numpy(), "lat": rep.loc[sent, "lat_true"].to_numpy(),
        "payload": pos_payloads, "fill": 0,
    })
    pos["channel"] = np.where(pos.groupby("vessel").cumcount().to_numpy() % 2 == 0, "A", "B")

    st = static_reports(fleet, T, rng)
    cache = [static_payloads(v) for v in fleet]
    st_payloads = [cache[v][k] for v, k in zip(st["vessel"], st["kind"])]
    stat = pd.DataFrame({
        "t": st["t"].to_numpy(), "kind": "static_" + st["kind"], "ref": np.arange(len(st)),
        "vessel": st["vessel"].to_numpy(), "lon": st["lon"].to_numpy(), "lat": st["lat"].to_numpy(),
        "payload": [p for p, _ in st_payloads], "fill": [f for _, f in st_payloads],
        "channel": np.where(rng.random(len(st)) < 0.5, "A", "B"),
    })

    base = base_reports(stations, T, rng)
    lost = np.zeros(len(base), dtype=bool)
    for z in zones:
        lost |= base["station"].isin(z.base_stations).to_numpy() & (base["t"] >= z.start).to_numpy() & (
            base["t"] <= z.end).to_numpy()
    radio = radio_states(base.assign(vessel=base["station"], sync=lost.astype(int), msg_type=4), t0_unix, rng)
    utc = t0 + pd.to_timedelta(np.floor(base["t"].to_numpy()), unit="s")
    b_payloads = [base_payload(stations[s].mmsi, stations[s].lon, stations[s].lat, None if gone else u, int(r))
                  for s, u, gone, r in zip(base["station"], utc, lost, radio)]
    bs = pd.DataFrame({
        "t": base["t"].to_numpy(), "kind": "base", "ref": np.arange(len(base)), "vessel": -1,
        "lon": base["lon"].to_numpy(), "lat": base["lat"].to_numpy(),
        "payload": [p for p, _ in b_payloads], "fill": [f for _, f in b_payloads],
        "channel": np.where(np.arange(len(base)) % 2 == 0, "A", "B"), "station": base["station"].to_numpy(),
        "utc_lost": lost,
    })
    tx = pd.concat([pos, stat, bs], ignore_index=True)
    tx["station"] = tx["station"].fillna(-1).astype(int)
    tx["utc_lost"] = tx["utc_lost"].fillna(False).astype(bool)
    tx["class_b"] = np.where(tx["vessel"] >= 0, class_b[tx["vessel"].clip(lower=0)], False)
    tx["own_station"] = np.where(tx["kind"] == "base", tx["station"], -1)
    blocked = np.zeros(len(tx), dtype=bool)
    for v in fleet:
        for g0, g1 in v.rx_gaps:
            blocked |= (tx["vessel"] == v.index).to_numpy() & (tx["t"] >= g0).to_numpy() & (tx["t"] < g1).to_numpy()
    tx["blocked"] = blocked
    return tx


def _dma_rows(rep: pd.DataFrame, tx: pd.DataFrame, rx: pd.DataFrame, fleet, stations, t0: pd.Timestamp
              ) -> pd.DataFrame:
    first = rx.groupby("tx")["rx_time"].min()  # DMA dates a message by its first reception
    heard = tx.loc[first.index].assign(rx_time=first.to_numpy())
    # Static data is known from the first received static report of that ship on.
    st = heard[heard["kind"].str.startswith("static")]
    known_from = st.groupby("vessel")["rx_time"].min()
    pos = heard[heard["kind"] == "pos"]
    r = rep.loc[pos["ref"].to_numpy()]
    info = pd.DataFrame([{
        "imo": v.imo or np.nan, "callsign": v.callsign, "name": v.name, "ship_type": v.ship_type,
        "width": v.dims[2] + v.dims[3], "length": v.dims[0] + v.dims[1], "draught": v.draught,
        "destination": v.destination,
        "eta": f"{v.eta[1]:02d}/{v.eta[0]:02d}/{t0.year} {v.eta[2]:02d}:{v.eta[3]:02d}:00" if v.device == "A" else "",
    } for v in fleet])
    vi = r["vessel"].to_numpy()
    known = pos["rx_time"].to_numpy() >= known_from.reindex(vi).fillna(np.inf).to_numpy()
    static = info.iloc[vi].reset_index(drop=True)
    static = static.where(np.broadcast_to(known[:, None], static.shape))
    rows = pd.DataFrame({
        "rx_time": pos["rx_time"].to_numpy(), "mobile": np.where(r["device"] == "B", "Class B", "Class A"),
        "mmsi": r["mmsi"].to_numpy(), "lat": r["lat"].to_numpy(), "lon": r["lon"].to_numpy(),
        "nav_status": np.where(r["device"] == "B", np.nan, r["nav_status"].to_numpy()),
        "rot": r["rot"].to_numpy(), "sog": r["sog"].to_numpy(), "cog": r["cog"].to_numpy(),
        "heading": r["heading"].to_numpy().astype(float),
    })
    rows = pd.concat([rows, static], axis=1)
    b = heard[heard["kind"] == "base"]
    base_rows = pd.DataFrame({"rx_time": b["rx_time"].to_numpy(), "mobile": "Base Station",
                              "mmsi": [stations[i].mmsi for i in b["station"]], "lat": b["lat"].to_numpy(), "lon": b["lon"].to_numpy()})
    return pd.concat([rows, base_rows], ignore_index=True).sort_values("rx_time", kind="stable", ignore_index=True)


def _truth(rep, tx, rx, fleet, events, zones, prof, seed: int, t0: pd.Timestamp, T: float):
    heard_tx = np.unique(rx["tx"].to_numpy())
    pos_tx = tx.loc[heard_tx]
    lab = rep.loc[pos_tx.loc[pos_tx["kind"] == "pos", "ref"].to_numpy()].sort_values(["t", "mmsi"], kind="stable")

    # Spoofing events as received: first and last spoofed report heard; none heard, no event.
    spoofed = lab[lab["spoof_idx"] >= 0]
    spans = spoofed.groupby("spoof_idx")["t"].agg(["min", "max"])
    kept = sorted(spans.index, key=lambda i: (spans.at[i, "min"], fleet[events[i].vessel].mmsi))
    event_id = {i: f"S{k + 1:03d}" for k, i in enumerate(kept)}
    lab = lab.assign(event_id=[event_id.get(i, "") for i in lab["spoof_idx"]],
                     lat_rep=lab["lat"], lon_rep=lab["lon"])
    spoof_truth = []
    for i in kept:
        e = events[i]
        spoof_truth.append({
            "event_id": event_id[i], "mmsi": fleet[e.vessel].mmsi, "kind": e.kind,
            "start": iso(spans.at[i, "min"], t0), "end": iso(spans.at[i, "max"], t0), "group": e.group,
            "claimed_lat": round(e.claimed[1], 6), "claimed_lon": round(e.claimed[0], 6),
            "true_lat": round(e.true[1], 6), "true_lon": round(e.true[0], 6),
        })

    jammed_heard = set(lab.loc[lab["label"] == "jammed", "vessel"])
    silent = set(rep.loc[(rep["label"] == "jammed") & ~rep["transmitted"], "vessel"])
    zone_truth = []
    affected_all: set[int] = set()
    base_mmsi = [s.mmsi for s in prof.stations]
    for z in zones:
        hit = sorted({fleet[v].mmsi for v in z.affected if v in jammed_heard or v in silent})
        affected_all.update(hit)
        zone_truth.append({
            "zone_id": z.zone_id, "start": iso(z.start, t0), "end": iso(z.end, t0),
            "geometry": {"type": "Polygon", "coordinates": [z.polygon()]},
            "centre": [round(z.lon, 5), round(z.lat, 5)], "radius_km": round(z.radius_m / 1000, 3),
            "affected_mmsi": hit, "base_stations": [base_mmsi[s] for s in z.base_stations],
        })
    spoofed_mmsi = {e["mmsi"] for e in spoof_truth}
    present = sorted({v.mmsi for v in fleet})
    truth = {
        "version": 1, "seed": int(seed), "profile": prof.name, "generator": "gnss_watch.simulate",
        "start": iso(t0, ms=False), "end": iso(T, t0, ms=False),
        "vessels": [{"mmsi": v.mmsi, "name": v.name, "ship_type": v.ship_type, "device": v.device,
                     "behaviour": v.behaviour} for v in fleet],
        "clean_mmsi": [m for m in present if m not in spoofed_mmsi and m not in affected_all],
        "spoofing_events": spoof_truth,
        "jamming_zones": zone_truth,
    }
    return lab, truth
