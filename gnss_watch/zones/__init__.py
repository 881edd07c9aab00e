"""Jamming: vessels' episodes of lost fixes, the zones they outline, an hourly grid.

:func:`.build.build_jamming` takes the per-report combined table (:mod:`gnss_watch.detect`)
and returns per-vessel jamming events, the zones and each report's zone id.

The stages, one module each, in the order :func:`.build.build_jamming` runs them:

* :mod:`.episodes` -- a vessel's reports of lost fixes merged into episodes,
  with the entry and exit fixes that lie on a zone's edge;
* :mod:`.cluster` -- episodes clustered as crossings (DBSCAN), split where ships
  saw two jammers and merged where they saw one;
* :mod:`.shape` -- each zone's disc, fitted to its edge fixes and bounded by
  the ships that kept their fix;
* :mod:`.witnesses` -- ships a found zone explains without evidence of their
  own (silences, held fixes at anchor, base stations losing GNSS time);
* :mod:`.build` -- the whole: events, zones and each report's zone id;
* :mod:`.grid` -- the hourly share of affected vessels per cell.
"""

from .build import JAM_EVENT_COLUMNS, ZONE_COLUMNS, build_jamming, write_zones_geojson
from .episodes import JAMMING_CHECKS, LOST_FIX_CHECKS
from .grid import GRID_COLUMNS, grid
from .shape import disc_polygon, fit_disc, share_disc, share_discs

__all__ = [
    "GRID_COLUMNS", "JAMMING_CHECKS", "JAM_EVENT_COLUMNS", "LOST_FIX_CHECKS", "ZONE_COLUMNS", "build_jamming",
    "disc_polygon", "fit_disc", "grid", "share_disc", "share_discs", "write_zones_geojson",
]
