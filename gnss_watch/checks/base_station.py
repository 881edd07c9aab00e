"""Checks on base stations (type 4): a fixed station's time and position are known truths."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..geo import haversine_m
from ..config import ChecksConfig

BASE_STATION_COLUMNS = ["bs_time_invalid", "bs_time_offset_s", "bs_moved", "bs_moved_m"]


def check_base_stations(base_stations: pd.DataFrame, config: ChecksConfig | None = None) -> pd.DataFrame:
    """Per type 4 report (same index as ``base_stations``):

    * ``bs_time_invalid`` (bool): the station says its UTC is not available
      (``utc_valid`` False: a base station that lost GNSS timing) or its UTC is more
      than ``bs_max_time_offset_s`` from the receive time;
    * ``bs_time_offset_s`` (float): reported UTC minus receive time, seconds;
    * ``bs_moved`` (bool): the reported position is more than ``bs_max_move_m`` from
      the station's median position (a fixed station does not move);
    * ``bs_moved_m`` (float): that distance, metres (NaN without a position).
    """
    cfg = config or ChecksConfig()
    bs = base_stations
    offset = bs["utc_offset_s"].to_numpy(dtype=float)
    not_available = (bs["utc_valid"].astype("boolean") == False).fillna(False).to_numpy(dtype=bool)  # noqa: E712
    with np.errstate(invalid="ignore"):
        time_invalid = not_available | (np.abs(offset) > cfg.bs_max_time_offset_s)
    med = bs.groupby("mmsi")[["lat", "lon"]].transform("median")
    moved = haversine_m(bs["lat"].to_numpy(dtype=float), bs["lon"].to_numpy(dtype=float),
                        med["lat"].to_numpy(dtype=float), med["lon"].to_numpy(dtype=float))
    with np.errstate(invalid="ignore"):
        is_moved = moved > cfg.bs_max_move_m
    return pd.DataFrame(
        {"bs_time_invalid": time_invalid, "bs_time_offset_s": offset, "bs_moved": is_moved, "bs_moved_m": moved},
        index=bs.index,
    )
