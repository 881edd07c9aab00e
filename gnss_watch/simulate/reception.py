"""Which shore stations hear each transmission, and when.

VHF range from a coastal mast is about 40 nm for a Class A ship (12.5 W, high
antenna) and roughly half that for Class B (2 W, low antenna); within range,
slot collisions and fading lose some messages. Each station here has its own
range factor and loss rate, and may be off the air for a while. Stations
overlap, so many messages arrive two or three times (duplicates), and
stretches of sea out of every station's reach are coverage gaps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..geo import haversine_m
from .ports import Station

#: Nominal range of a coastal station for Class A and Class B transmitters, metres.
RANGE_A_M, RANGE_B_M = 74_000.0, 40_000.0
#: Receive delays (s): a message reaches the station's log within a second.
DELAY_S = (0.02, 0.9)


@dataclass(frozen=True)
class StationModel:
    """Per-station reception quality for one scenario."""

    stations: tuple[Station, ...]
    range_factor: np.ndarray
    p_max: np.ndarray
    #: (start, end) seconds each station is off the air; NaN for none.
    outage: np.ndarray

    @classmethod
    def draw(cls, stations: tuple[Station, ...], duration_s: float, rng: np.random.Generator) -> "StationModel":
        n = len(stations)
        start = rng.uniform(0, duration_s, n)
        length = rng.uniform(300, 1200, n)
        has = rng.random(n) < 0.3
        outage = np.where(has[:, None], np.column_stack([start, start + length]), np.nan)
        return cls(stations, rng.uniform(0.8, 1.2, n), rng.uniform(0.85, 0.95, n), outage)

    def probability(self, lon: np.ndarray, lat: np.ndarray, class_b: np.ndarray) -> np.ndarray:
        """(n, stations) probability that each station hears a transmission from (lon, lat)."""
        slon = np.array([s.lon for s in self.stations])
        slat = np.array([s.lat for s in self.stations])
        d = haversine_m(lat[:, None], lon[:, None], slat[None], slon[None])
        r = np.where(class_b[:, None], RANGE_B_M, RANGE_A_M) * self.range_factor[None]
        # Logistic fall-off: near certain well inside range, rare beyond it.
        return self.p_max[None] / (1.0 + np.exp(np.clip((d - r) / (0.08 * r), -50, 50)))

    def coverage(self, lon: np.ndarray, lat: np.ndarray, class_b: np.ndarray) -> np.ndarray:
        """Probability that at least one station hears a transmission."""
        return 1.0 - np.prod(1.0 - self.probability(lon, lat, class_b), axis=1)


def receive(model: StationModel, tx: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Receptions of transmissions ``tx`` (columns t, lon, lat, class_b, own_station, blocked).

    ``own_station`` is the station index of a base station's own type 4 (which
    it logs itself, as VDO) or -1; ``blocked`` marks transmissions nobody hears
    (a vessel's reception gap). Returns one row per reception: ``tx`` (row
    position in ``tx``), ``station`` (index), ``rx_time`` (s), ``own`` (bool).
    """
    lon, lat = tx["lon"].to_numpy(), tx["lat"].to_numpy()
    p = model.probability(lon, lat, tx["class_b"].to_numpy())
    t = tx["t"].to_numpy()
    off = (t[:, None] >= model.outage[None, :, 0]) & (t[:, None] < model.outage[None, :, 1])
    heard = (rng.random(p.shape) < p) & ~off & ~tx["blocked"].to_numpy()[:, None]
    own = tx["own_station"].to_numpy()
    has_own = own >= 0
    heard[np.flatnonzero(has_own), own[has_own]] = True
    i, s = np.nonzero(heard)
    delay = rng.uniform(*DELAY_S, size=i.size)
    return pd.DataFrame({"tx": i, "station": s, "rx_time": t[i] + delay, "own": own[i] == s})


#: Base stations report every 10 s (ITU-R M.1371-5 Table 1).
BASE_INTERVAL_S = 10.0


def base_reports(stations: tuple[Station, ...], duration_s: float, rng: np.random.Generator) -> pd.DataFrame:
    """Type 4 transmissions of the base stations: t (s), station (index), lon, lat."""
    frames = []
    for i, s in enumerate(stations):
        if s.base:
            t = np.arange(rng.uniform(0, BASE_INTERVAL_S), duration_s, BASE_INTERVAL_S)
            frames.append(pd.DataFrame({"t": t, "station": i, "lon": s.lon, "lat": s.lat}))
    return pd.concat(frames, ignore_index=True)
