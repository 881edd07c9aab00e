"""gnss-watch: find GNSS jamming and spoofing at sea from AIS data.

The pipeline runs one way -- ``ingest -> tracks -> checks/model -> events/zones
-> outputs/report`` -- and each stage takes and returns plain pandas
DataFrames (see :mod:`gnss_watch.schema`).

>>> import gnss_watch
>>> ds = gnss_watch.read("sample_data/gulf_of_finland.nmea.gz")       # doctest: +SKIP
>>> res = gnss_watch.replay("sample_data/gulf_of_finland.nmea.gz")     # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Config", "Dataset", "Results", "read", "replay", "__version__"]

# Imported on first use, so `import gnss_watch` (and ingest-only work) does not load
# scikit-learn, scipy and matplotlib.
_LAZY = {"Config": "config", "Dataset": "ingest", "read": "ingest", "Results": "pipeline", "replay": "pipeline"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
