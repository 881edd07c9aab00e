"""The shipped land: water is water (lakes and lagoons too), land is land, distances are metres."""

import numpy as np
import pytest
import shapely

from gnss_watch import land
from gnss_watch.geo import haversine_m

WATER = {
    "off Helsinki": (24.95, 60.05),
    "Tallinn Bay": (24.75, 59.52),
    "Vistula Lagoon, Russian part": (20.0, 54.6),
    "Vistula Lagoon, Polish part": (19.6, 54.4),
    "Saimaa": (28.5, 61.4),
    "Neva Bay": (29.9, 59.93),
    "Curonian Lagoon": (21.1, 55.3),
}
LAND = {
    "inland Finland": (23.0, 62.0),
    "10 km south of Tallinn's shore": (24.75, 59.35),
    "10 km north of Helsinki's shore": (24.95, 60.30),
    "Pulkovo airport": (30.262, 59.80),
}


def _lonlat(points: dict) -> tuple[np.ndarray, np.ndarray]:
    xy = np.array(list(points.values()))
    return xy[:, 0], xy[:, 1]


def test_water_and_land_points():
    assert not land.on_land(*_lonlat(WATER)).any()
    assert land.on_land(*_lonlat(LAND)).all()
    assert (land.distance_inland_m(*_lonlat(WATER)) == 0).all()


def test_ten_km_inland_is_more_than_five_km_inland():
    d = land.distance_inland_m(*_lonlat(LAND))
    assert (d[1:3] > 5000).all() and (d[1:3] < 15000).all()
    # Helsinki South Harbour is drawn as land, but only a few hundred metres deep.
    assert 0 < land.distance_inland_m(24.955, 60.162) < 1500


def test_on_land_matches_exact_point_in_polygon():
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(9, 31, 50_000), rng.uniform(53, 66.5, 50_000)
    exact = shapely.contains_xy(land.land_geometry(), lon, lat)
    assert np.array_equal(land.on_land(lon, lat), exact)


def test_distance_inland_matches_exact_distance_to_shore():
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(21, 30, 20_000), rng.uniform(58.5, 61.5, 20_000)
    inside = land.on_land(lon, lat)
    lon, lat = lon[inside][:2000], lat[inside][:2000]
    shore = shapely.boundary(shapely.transform(land.land_geometry(), land._project_coords))
    exact = shapely.distance(shore, shapely.points(*land.project(lon, lat)))
    assert np.abs(land.distance_inland_m(lon, lat) - exact).max() < 50.0


def test_outside_data_and_nan_count_as_water():
    assert not land.on_land([5.0, np.nan, 24.9], [55.0, 60.0, np.nan]).any()
    assert (land.distance_inland_m([5.0, np.nan], [55.0, 60.0]) == 0).all()


def test_array_shape_is_kept():
    lon = np.full((3, 4), 23.0)
    lat = np.full((3, 4), 62.0)
    assert land.on_land(lon, lat).shape == (3, 4)
    assert land.distance_inland_m(lon, lat).shape == (3, 4)


def test_segment_crosses_land():
    # Helsinki-Tallinn over open water; Tallinn to inland Estonia; Helsinki South Harbour (land ~600 m deep).
    lon1, lat1 = [24.93, 24.75, 24.95], [59.97, 59.52, 60.12]
    lon2, lat2 = [24.77, 26.0, 24.955], [59.62, 58.9, 60.162]
    assert land.segment_crosses_land(lon1, lat1, lon2, lat2).tolist() == [False, True, True]
    assert land.segment_crosses_land(lon1, lat1, lon2, lat2, tolerance_m=2000).tolist() == [False, True, False]


@pytest.mark.parametrize("lon, lat", [(10.0, 54.0), (20.0, 60.0), (30.5, 66.0)])
def test_projection_round_trip_and_scale(lon, lat):
    x, y = land.project([lon, lon + 0.1], [lat, lat + 0.05])
    assert np.allclose(land.unproject(x, y), ([lon, lon + 0.1], [lat, lat + 0.05]), atol=1e-9)
    metric = np.hypot(x[1] - x[0], y[1] - y[0])
    assert metric == pytest.approx(haversine_m(lat, lon, lat + 0.05, lon + 0.1), rel=0.015)
