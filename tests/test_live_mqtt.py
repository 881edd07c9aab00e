"""``gnss-watch live --mqtt`` against a real local broker (Debian's mosquitto) over websockets.

The broker is started by the test on ephemeral loopback ports with a temporary
config; it is fed Digitraffic-shaped JSON (vessels-v2 location and metadata
payloads) made from 20 minutes of the bundled sample, which hold a group of
spoofed vessels. ``make test`` installs mosquitto when it is missing; the
test skips only when it truly is not installed.
"""

from __future__ import annotations

import json
import math
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_live import cli, sample_slice, stop, wait_for

from gnss_watch.ingest import read

MOSQUITTO = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/sbin:/usr/local/sbin")
#: The spoofed vessels of the sample's displacement group (sample_data/gulf_of_finland.truth.json, G001).
GROUP = {273568667, 230083000, 266750000, 211984996, 352090000, 256832810}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def broker(tmp_path: Path):
    if MOSQUITTO is None:
        pytest.skip("mosquitto is not installed (make test installs it: apt-get install mosquitto)")
    mqtt_port, ws_port = _free_port(), _free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {mqtt_port} 127.0.0.1\nallow_anonymous true\n"
                    f"listener {ws_port} 127.0.0.1\nprotocol websockets\nallow_anonymous true\n"
                    "persistence false\n")
    proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=open(tmp_path / "mosquitto.log", "wb"))

    def up() -> bool:
        try:
            socket.create_connection(("127.0.0.1", ws_port), timeout=0.5).close()
            return True
        except OSError:
            return False
    try:
        wait_for(up, 10, "mosquitto to listen")
        yield mqtt_port, ws_port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _digitraffic_messages(sample: Path, start_min: float, end_min: float) -> tuple[list[tuple[str, str]], int]:
    """(topic, JSON payload) for the sample's positions in [start, end) minutes, plus static metadata."""
    ds = read(str(sample))
    p = ds.positions
    t0 = p["time"].min()
    p = p[(p["time"] >= t0 + pd.Timedelta(minutes=start_min)) & (p["time"] < t0 + pd.Timedelta(minutes=end_min))
          & p["lat"].notna() & p["lon"].notna()]
    # Digitraffic's 'not available' codes, as the feed sends them
    sog = p["sog"].fillna(102.3).to_numpy()
    cog = p["cog"].fillna(360.0).to_numpy()
    heading = p["heading"].fillna(511).to_numpy()
    secs = (p["time"].astype("int64") // 10**9).to_numpy()
    msgs = []
    for k, (mmsi, lat, lon, acc, raim, nav) in enumerate(zip(p["mmsi"], p["lat"], p["lon"], p["accuracy"],
                                                               p["raim"], p["nav_status"])):
        payload = {"time": int(secs[k]), "sog": float(sog[k]), "cog": float(cog[k]), "navStat": int(nav),
                   "rot": 0, "posAcc": bool(acc), "raim": bool(raim), "heading": int(heading[k]),
                   "lon": float(lon), "lat": float(lat)}
        msgs.append((f"vessels-v2/{mmsi}/location", json.dumps(payload)))
    meta = ds.vessels[ds.vessels["mmsi"].isin(GROUP)]
    for v in meta.itertuples():
        payload = {"timestamp": int(secs[0]) * 1000, "destination": v.destination, "name": v.name,
                   "draught": int(v.draught * 10) if not math.isnan(v.draught) else 0, "eta": 0,
                   "posType": 1, "refA": int(v.to_bow), "refB": int(v.to_stern), "refC": int(v.to_port),
                   "refD": int(v.to_starboard), "callSign": v.callsign, "imo": int(v.imo or 0),
                   "type": int(v.ship_type)}
        msgs.insert(0, (f"vessels-v2/{v.mmsi}/metadata", json.dumps(payload)))
    unique = pd.DataFrame({"m": p["mmsi"].to_numpy(), "t": secs, "a": p["lat"].to_numpy(),
                           "o": p["lon"].to_numpy()}).drop_duplicates()
    return msgs, len(unique)


def test_mqtt_websockets_feed_raises_spoofing_alerts(tmp_path: Path, broker, procs) -> None:  # noqa: F811
    import paho.mqtt.client as mqtt

    mqtt_port, ws_port = broker
    msgs, n_unique = _digitraffic_messages(sample_slice(tmp_path / "slice.nmea", 66_000), 30, 50)
    conf = tmp_path / "live.toml"
    conf.write_text("[live]\nrefresh_s = 0.5\nstep_s = 3.0\n")
    out = tmp_path / "live"
    procs.append(live := cli("live", "--mqtt", f"ws://127.0.0.1:{ws_port}/mqtt", "--out", str(out),
                             "--config", str(conf), out=tmp_path, name="live"))
    wait_for(lambda: "subscribing" in (tmp_path / "live.err").read_text(), 20, "live to subscribe")

    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    pub.connect("127.0.0.1", mqtt_port)
    pub.loop_start()
    pub.publish("vessels-v2/230000001/location", b"{not json")  # garbage: counted, no crash
    for topic, payload in msgs:
        info = pub.publish(topic, payload)
    info.wait_for_publish(timeout=30)
    pub.loop_stop()
    pub.disconnect()

    def done() -> bool:
        try:
            s = json.loads((out / "status.json").read_text())
        except (OSError, ValueError):
            return False
        return s["accounting"]["lines"]["read"] >= len(msgs) + 1
    wait_for(done, 60, "live to take every message")
    assert stop(live, signal.SIGTERM) == 0, (tmp_path / "live.err").read_text()[-2000:]

    status = json.loads((out / "status.json").read_text())
    assert status["time_source"] == "json"
    lines = status["accounting"]["lines"]
    assert lines["read"] == len(msgs) + 1 and lines["skipped"].get("malformed") == 1
    assert status["positions"] == n_unique
    alerts = [json.loads(x) for x in (out / "alerts.jsonl").read_text().splitlines()]
    spoofed = {a["mmsi"] for a in alerts if a["type"] == "spoofing_event" and a["alert"] == "open"}
    assert len(spoofed & GROUP) >= 4, spoofed
    static = pd.read_parquet(out / "state" / "static.parquet")
    assert set(static["mmsi"]) == GROUP and static["name"].notna().all()
    assert np.isin(list(GROUP), pd.read_parquet(out / "state" / "positions.parquet")["mmsi"]).all()
