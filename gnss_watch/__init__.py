"""gnss-watch: find GNSS jamming and spoofing at sea from AIS data.

The pipeline runs one way -- ``ingest -> tracks -> checks/model -> events/zones
-> outputs/report`` -- and each stage takes and returns plain pandas
DataFrames (see :mod:`gnss_watch.schema`).

>>> import gnss_watch
>>> ds = gnss_watch.read("sample_data/gulf_of_finland.nmea.gz")       # doctest: +SKIP
>>> res = gnss_watch.replay("sample_data/gulf_of_finland.nmea.gz")     # doctest: +SKIP
"""

__version__ = "0.1.0"

from .config import Config  # noqa: E402
from .ingest import Dataset, read  # noqa: E402
from .replay import Results, replay  # noqa: E402

__all__ = ["Config", "Dataset", "Results", "read", "replay", "__version__"]
