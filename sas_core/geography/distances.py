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


#: A point on the unit sphere (x, y, z): what the offer directory stores next to each place's
#: latitude and longitude, so that a database can order places by distance with arithmetic alone.
UnitVector = tuple[float, float, float]


def unit_vector(lat: float, lon: float) -> UnitVector:
    """The point (lat, lon), decimal degrees, on the unit sphere."""
    phi, lam = math.radians(lat), math.radians(lon)
    return math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)


def squared_chord(a: UnitVector, b: UnitVector) -> float:
    """The squared straight-line distance between two unit vectors: it grows with the
    great-circle distance, so it orders places exactly as `haversine_km` does, with no
    trigonometry. Written in the order SQL evaluates `(dx*dx + dy*dy) + dz*dz`, so that Python
    and the databases compute the same double."""
    dx, dy, dz = a[0] - b[0], a[1] - b[1], a[2] - b[2]
    return dx * dx + dy * dy + dz * dz


def squared_chord_of(radius_km: float) -> float:
    """The squared chord of an arc of `radius_km` on the Earth: a circle's limit for
    `squared_chord`."""
    return (2 * math.sin(radius_km / (2 * EARTH_RADIUS_KM))) ** 2
