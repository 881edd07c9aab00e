"""``gnss-watch serve``: a recorded file as a paced TCP feed in the tag-block format."""

from __future__ import annotations

import signal
import socket
import threading
import time
from pathlib import Path

import pandas as pd
from nmea_helpers import position, sentences, tag
from test_live import cli, port_from, stop

from gnss_watch.cli import main
from gnss_watch.config import IngestConfig
from gnss_watch.ingest import Accounting, NmeaDecoder
from gnss_watch.live.serve import serve, timed_lines

T0 = 1_717_200_000  # 2024-06-01T00:00:00Z


def _recording(path: Path) -> Path:
    static = sentences(5, mmsi=230000005, shipname="TWO PARTS", callsign="OH1", destination="HELSINKI",
                       ship_type=70, imo=9000001)
    assert len(static) == 2
    lines = [
        tag(position(230000001, 60.0, 25.0), s="A", c=T0),
        "$PGHP,1,2024,6,1,0,0,10,0,219,219,2190047,1,00*7A",
        position(230000002, 60.1, 25.0, second=10),                       # dated by the $PGHP line: T0 + 10
        f"2024-06-01T00:00:20Z {position(230000003, 60.2, 25.0, second=20)}",  # leading timestamp: T0 + 20
        "# a comment line",
        *static,                                                          # no time: the last one, T0 + 20
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_timed_lines_date_every_sentence_in_tag_block_format(tmp_path: Path) -> None:
    out = list(timed_lines(str(_recording(tmp_path / "rec.nmea"))))
    times = [t for t, _ in out]
    assert times == [T0, T0 + 10, T0 + 20, T0 + 20, T0 + 20, T0 + 20]  # the $PGHP line is folded away
    assert out[0][1].startswith(b"\\s:A,c:1717200000*")  # a tag block already there: sent as it is
    assert out[3][1] == b"# a comment line"  # noise passes through (faults replay too)
    sent = [line for _, line in out]
    assert all(line.startswith(b"\\s:serve,c:") for i, line in enumerate(sent) if i not in (0, 3))

    # what a client decodes: every message, at its recorded time, from tag blocks
    acct = Accounting()
    dec = NmeaDecoder("feed", IngestConfig(), acct)
    batch = dec.feed(sent)
    pos = batch.positions.sort_values("mmsi")
    assert list(pos["time"]) == [pd.Timestamp(T0 + k, unit="s", tz="UTC") for k in (0, 10, 20)]
    assert set(pos["time_source"].astype(str)) == {"tagblock"}
    assert batch.static["name"].tolist() == ["TWO PARTS"]
    assert acct.skipped["bad_checksum"] == 0 and acct.skipped["comment"] == 1


def _receive(port: int) -> tuple[bytes, float]:
    t = time.monotonic()
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
        while chunk := c.recv(1 << 16):
            data += chunk
    return data, time.monotonic() - t


def test_serve_paces_by_recorded_time_and_serves_each_client_from_the_start(tmp_path: Path) -> None:
    rec = tmp_path / "rec.nmea"
    rec.write_text("".join(tag(position(230000001, 60.0 + k * 1e-3, 25.0, second=k), c=T0 + k) + "\n"
                           for k in range(5)))  # 4 s of data
    for speed, lo, hi in ((8.0, 0.45, 2.0), (0.0, 0.0, 0.4)):
        stop_ev, ready = threading.Event(), threading.Event()
        th = threading.Thread(target=serve, args=(str(rec), 0), kwargs=dict(speed=speed, stop=stop_ev, ready=ready))
        th.start()
        try:
            assert ready.wait(5)
            first, took = _receive(ready.port)  # type: ignore[attr-defined]
            second, _ = _receive(ready.port)  # type: ignore[attr-defined]
        finally:
            stop_ev.set()
            th.join(5)
        assert first == second and first.count(b"\r\n") == 5
        assert lo <= took <= hi, (speed, took)


def test_serve_cli_exits_cleanly_on_sigterm_and_rejects_a_missing_file(tmp_path: Path, procs, capsys) -> None:  # noqa: F811
    procs.append(srv := cli("serve", str(_recording(tmp_path / "rec.nmea")), "--port", "0", out=tmp_path,
                            name="serve"))
    port = port_from(tmp_path / "serve.err")
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    assert stop(srv, signal.SIGTERM) == 0
    assert main(["serve", str(tmp_path / "missing.nmea"), "--port", "0"]) == 2
    assert "no such file" in capsys.readouterr().err
