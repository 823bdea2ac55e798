"""The care offer: practitioners, structures and the places where they consult."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from sas_core.identifiers import IdnpsStr, IdnstStr


class StructureKind(StrEnum):
    """Kinds of structure the platform aggregates.

    MSP (maison de santé pluriprofessionnelle) and CDS (centre de santé) are modelled so the
    directory can hold them, but the IG specifies no slot flow for them yet (digest §10, §13).
    """

    SOS = "sos"
    CPTS = "cpts"
    MSP = "msp"
    CDS = "cds"
    PRACTICE = "practice"


class Address(BaseModel):
    model_config = ConfigDict(frozen=True)

    line: str | None = None
    city: str | None = None
    postal_code: str | None = None


class Place(BaseModel):
    """A place of consultation: a practitioner's cabinet or an SOS fixed site (PFG/LFC).

    `id` is the vendor's identifier of the place written `system|value`, which is how it is
    unique across vendors. `structure` is the IDNST of the structure the place belongs to: for a
    practitioner, the PractitionerRole's organization (digest §4.4, the place of practice); for an
    SOS site, the association that manages it (Location.managingOrganization, §6.4).
    """

    model_config = ConfigDict(frozen=True)

    id: str
    name: str | None = None
    address: Address = Field(default_factory=Address)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    phone: str | None = None
    structure: IdnstStr | None = None


class Practitioner(BaseModel):
    """A health professional known by the prefixed national id (IDNPS)."""

    model_config = ConfigDict(frozen=True)

    idnps: IdnpsStr
    family: str | None = None
    given: str | None = None


class Structure(BaseModel):
    """A structure known by the prefixed national id (IDNST)."""

    model_config = ConfigDict(frozen=True)

    idnst: IdnstStr
    kind: StructureKind | None = None
    name: str | None = None


class Schedule(BaseModel):
    """A practitioner's (or a structure's) agenda at one place: one per place of practice.

    Digest §4.3: a practitioner practising in N places has N schedules.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    practitioner: Practitioner | None = None
    structure: Structure | None = None
    place: Place | None = None
