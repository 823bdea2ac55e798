"""Great-circle distances between WGS84 points.

Haversine on a sphere of the mean Earth radius: over the few to few hundred kilometres of a
search radius it is within 0.5 % of the ellipsoidal distance, far below the size of a commune,
so no geodesy library is needed.
"""

from __future__ import annotations

import math

#: IUGG mean Earth radius, km.
EARTH_RADIUS_KM = 6371.0088


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance in km between two (lat, lon) points in decimal degrees."""
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))
