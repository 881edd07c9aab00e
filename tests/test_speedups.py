"""The fast paths give the same answers as the plain ones: checksum fold, sentence cache, threaded forest scoring."""

from __future__ import annotations

import gc
import random
from functools import reduce
from operator import xor

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest

import gnss_watch.model as model
from gnss_watch.config import IngestConfig
from gnss_watch.ingest.accounting import Accounting
from gnss_watch.ingest.nmea import NmeaDecoder, parse_sentence
from gnss_watch.ingest.nmea import checksum as nmea_checksum
from nmea_helpers import checksum, position, tag

T0 = 1_717_200_000  # 2024-06-01T00:00:00Z


def test_xor_fold_equals_bytewise_xor_at_every_length() -> None:
    rng = random.Random(0)
    for n in range(300):  # covers every number of folding rounds up to 2048-bit inputs
        data = bytes(rng.randrange(256) for _ in range(n))
        assert nmea_checksum(data) == reduce(xor, data, 0), n


def test_parse_sentence_fields_and_reasons() -> None:
    s = position(230000001, 60.0, 25.0)
    cnt, num, seq, chan, payload, fill, tt, ts = parse_sentence(s.encode())
    assert (cnt, num, seq, chan, fill) == (1, 1, b"", b"A", 0) and tt != tt and ts is None
    assert payload == s.split(",")[5].encode()
    bad = s[:-2] + ("00" if s[-2:] != "00" else "01")
    assert parse_sentence(bad.encode()) == "bad_checksum"
    assert parse_sentence((s[:-2] + "G0").encode()) == "malformed"  # not a hex checksum
    body = "AIVDM,1,1,,A,,0"
    assert parse_sentence(f"!{body}*{checksum(body)}".encode()) == "empty_payload"
    assert parse_sentence(f"{s},b003669794,{T0}".encode())[6:] == (T0, "b003669794")


def decode(lines: list[str], cfg: IngestConfig | None = None) -> tuple[Accounting, NmeaDecoder, int]:
    acct = Accounting()
    dec = NmeaDecoder("t", cfg or IngestConfig(), acct)
    n = len(dec.feed([ln.encode() for ln in lines]).positions) + len(dec.finish().positions)
    return acct, dec, n


def test_cached_sentence_is_judged_in_its_own_context() -> None:
    """A sentence seen before keeps its own station, time and dedup decision; a bad one is counted every time."""
    s = position(230000001, 60.0, 25.0)
    bad = s[:-2] + ("00" if s[-2:] != "00" else "01")
    lines = [tag(s, s="st1", c=T0), tag(s, s="st2", c=T0 + 1),  # a copy within the window
             tag(bad, s="st1", c=T0 + 2), tag(bad, s="st2", c=T0 + 3),
             tag(s, s="st2", c=T0 + 3600)]  # an hour later the same bytes are a new report
    acct, dec, n = decode(lines)
    assert n == 2 and acct.used == 2
    assert acct.skipped == {"duplicate": 1, "bad_checksum": 2}
    assert len(dec.sentences) == 2  # one parse per distinct sentence
    # the same lines with the cache emptied before every line give the same accounting
    cold = Accounting()
    dec2 = NmeaDecoder("t", IngestConfig(), cold)
    for ln in lines:
        dec2.sentences.clear()
        dec2.feed([ln.encode()])
    dec2.finish()
    assert cold.to_dict() == acct.to_dict()


def test_cache_stays_bounded() -> None:
    lines = [tag(position(230000000 + i, 60.0, 25.0), s="st1", c=T0 + i) for i in range(16_500)]
    acct, dec, n = decode(lines)
    assert n == 16_500 and len(dec.sentences) <= 16_385


def test_position_rows_hold_no_objects_the_garbage_collector_tracks() -> None:
    """pyais returns enums for turn rate and navigational status; rows must keep plain numbers
    (tracked rows make each full collection rescan every row: ~0.3 s on the sample)."""
    s = position(230000001, 60.0, 25.0, turn=-128, status=5)  # turn -128: TurnRate.NO_TI_DEFAULT
    dec = NmeaDecoder("t", IngestConfig(), Accounting())
    dec._flush_chunk = lambda: None  # keep the rows to look at them
    dec.feed([tag(s, s="st1", c=T0).encode()])
    (row,) = dec.cols.pos
    gc.collect()  # untracks tuples of atomic values
    assert not gc.is_tracked(row)


@pytest.mark.parametrize("cpus", [1, 2, 3])
def test_threaded_isolation_scores_equal_sequential(monkeypatch: pytest.MonkeyPatch, cpus: int) -> None:
    rng = np.random.default_rng(0)
    A = rng.normal(size=(3_001, 5))
    A[::97] *= 20  # some outliers, so scores differ across rows
    forest = IsolationForest(n_estimators=30, max_samples=64, random_state=0).fit(A)
    monkeypatch.setattr(model, "_ROWS_PER_THREAD", 1_000)
    monkeypatch.setattr(model.os, "cpu_count", lambda: cpus)
    assert np.array_equal(model._isolation(forest, A), -forest.score_samples(A))
