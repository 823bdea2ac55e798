"""Agendo's proprietary JSON API, read into the platform's domain models.

- `GET {base}/v2/availabilities?rpps=R1,R2&from=ISO&to=ISO` (Bearer key) →
  `{"availabilities": [{"uid", "rpps", "begins", "minutes", "kind", "place", "booking"}]}`;
  `kind` is `office`, `video` or `home`; RPPS are sent and answered unprefixed.
- `PUT {base}/v2/users/{sas_id}` → 201 created, 200 replaced: a regulator's account keyed by
  the platform's stable id, so a re-keying (a new RPPS) is a plain update; `enabled: false`
  withdraws it.
- Booking links `{booking}?origin=…&sas_user=…&sig=…`: Agendo opens its regulator path only
  for links the platform signed with the shared `link_secret`.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from sas_core import Address, BundleIssue, Modality, Place, Regulator, Slot, SlotQuery

#: The IDNPS prefix of an RPPS number (digest §3): Agendo knows the bare RPPS.
RPPS_PREFIX = "8"
MODALITIES = {"office": Modality.AMB, "video": Modality.VR, "home": Modality.HH}


class AgendoPlace(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    label: str | None = None
    street: str | None = None
    zip: str | None = None
    city: str | None = None


class Availability(BaseModel):
    """One free slot as Agendo sends it."""

    model_config = ConfigDict(extra="ignore")

    uid: str = Field(min_length=1)
    rpps: str = Field(pattern=r"^\d{11}$")
    begins: AwareDatetime
    minutes: int = Field(gt=0, le=24 * 60)
    kind: Literal["office", "video", "home"]
    place: AgendoPlace | None = None
    booking: str | None = None


class AvailabilityPage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    availabilities: list[dict[str, Any]]


def availability_params(query: SlotQuery) -> dict[str, str]:
    """The search of one lot: bare RPPS numbers and the window, as Agendo's query string."""
    return {
        "rpps": ",".join(p.removeprefix(RPPS_PREFIX) for p in query.practitioners),
        "from": query.window.start.isoformat(),
        "to": query.window.end.isoformat(),
    }


def read_availabilities(
    body: bytes, *, adapter: str, query: SlotQuery, fetched_at: datetime
) -> tuple[list[Slot], list[BundleIssue]]:
    """The slots of an answer inside the window and the lot, and why any item was left out.

    Raises `ValidationError` when the answer is not Agendo's page at all."""
    page = AvailabilityPage.model_validate_json(body)
    wanted = set(query.practitioners)
    slots: list[Slot] = []
    problems: list[BundleIssue] = []
    for index, item in enumerate(page.availabilities):
        try:
            availability = Availability.model_validate(item)
        except ValidationError as exc:
            reason = exc.errors()[0]
            where = ".".join(str(p) for p in reason["loc"])
            problems.append(issue(f"availability #{index}", f"{where}: {reason['msg']}"))
            continue
        practitioner = RPPS_PREFIX + availability.rpps
        start = availability.begins
        if practitioner not in wanted or not query.window.start <= start < query.window.end:
            problems.append(issue(availability.uid, "outside the lot or the window"))
            continue
        slots.append(
            Slot(
                id=availability.uid,
                start=start,
                end=start + timedelta(minutes=availability.minutes),
                practitioner=practitioner,
                place=_place(availability.place),
                modalities=(MODALITIES[availability.kind],),
                booking_url=availability.booking,
                adapter=adapter,
                fetched_at=fetched_at,
            )
        )
    return slots, problems


def issue(resource: str, reason: str) -> BundleIssue:
    return BundleIssue(resource=f"Availability/{resource}", reason=reason, dropped=True)


def _place(place: AgendoPlace | None) -> Place | None:
    if place is None:
        return None
    return Place(
        id=f"https://api.agendo.example/places|{place.id}",
        name=place.label,
        address=Address(line=place.street, city=place.city, postal_code=place.zip),
    )


def user_body(regulator: Regulator) -> dict[str, Any]:
    """A regulator as an Agendo user: what the vendor needs to let them book, nothing more."""
    return {
        "sas_id": str(regulator.id),
        "rpps": (regulator.national_id or "").removeprefix(RPPS_PREFIX) or None,
        "first_name": regulator.given,
        "last_name": regulator.family,
        "email": regulator.email,
        "enabled": regulator.active,
    }


def link_signature(secret: str, slot_id: str, origin: str, user: str) -> str:
    """HMAC-SHA256 of what a booking link asserts: this slot, from this SAS, for this user."""
    message = f"{slot_id}|{origin}|{user}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
