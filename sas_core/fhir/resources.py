"""Mapping the non-Slot resources of a search bundle to domain models.

Each function takes one resource as decoded JSON (a mapping) and is lenient where a vendor would
expect leniency: a problem that leaves the data usable is appended to `problems` (when given, to be
reported as a BundleIssue), and only a problem that leaves nothing usable raises ValueError.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sas_core.fhir.codes import (
    FR_CORE_CS_V2_0203,
    FR_LOCATION_IDENTIFIER_TYPE,
    FR_V2_0203,
    IDNPS_SYSTEM,
    IDNST_SYSTEM,
    IDNST_TYPE_CODE,
    PROFILE_CPTS_ORGANIZATION,
    PROFILE_SOS_ORGANIZATION,
)
from sas_core.fhir.references import Resource, label
from sas_core.identifiers import IdentifierError, parse_finess, parse_idnps, parse_idnst
from sas_core.offer.models import Address, Place, Practitioner, Structure, StructureKind

#: Finds a referenced resource of the given type in the bundle (see ResourceIndex.resolve).
Resolver = Callable[[str, str], Resource | None]


def _list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else ()


def _text(value: Any) -> str | None:
    """A non-blank string, stripped; FHIR forbids empty strings (digest §15.2), so they count as
    absent."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def _note(problems: list[str] | None, message: str) -> None:
    if problems is not None:
        problems.append(message)


def practitioner_from_resource(resource: Resource) -> Practitioner:
    """The practitioner of a Practitioner resource, known by its prefixed IDNPS.

    Digest §4.4: the identifier with system `urn:oid:1.2.250.1.71.4.2.1`. Its `type` is not
    checked (it carries nothing the system does not say). An unprefixed RPPS/ADELI is normalised
    rather than refused (§3 asks searches to match whatever form is stored). The first usable
    identifier wins; ValueError when there is none.
    """
    rejected: list[str] = []
    for identifier in _list(resource.get("identifier")):
        if not isinstance(identifier, Mapping) or identifier.get("system") != IDNPS_SYSTEM:
            continue
        value = identifier.get("value")
        try:
            idnps = parse_idnps(value if isinstance(value, str) else "").value
        except IdentifierError as exc:
            rejected.append(str(exc))
            continue
        family: str | None = None
        given: str | None = None
        for name in _list(resource.get("name")):
            if isinstance(name, Mapping):
                family = _text(name.get("family"))
                given = " ".join(g for g in map(_text, _list(name.get("given"))) if g) or None
                break
        return Practitioner(idnps=idnps, family=family, given=given)
    detail = f" ({'; '.join(rejected)})" if rejected else ""
    raise ValueError(f"{label(resource)} has no valid IDNPS identifier{detail}")


def structure_from_identifier(identifier: Any, problems: list[str] | None = None) -> str:
    """The prefixed IDNST an `organization.identifier` carries.

    Digest §4.4/§15.2: system `urn:oid:1.2.250.1.71.4.2.2`, value `1`+FINESS, `3`+SIRET, `4`/`0`
    cabinet ids. Its `type` system differs by resource and IG version (§16.3), so it is not checked.
    A missing system is tolerated with a problem (the IG's own CPTS example sends a bare value,
    §16.25); another system, or a malformed value, raises ValueError.
    """
    if not isinstance(identifier, Mapping):
        raise ValueError("the organization identifier is not an object")
    system = identifier.get("system")
    value = identifier.get("value")
    if system is not None and system != IDNST_SYSTEM:
        raise ValueError(f"organization identifier system {system!r} is not {IDNST_SYSTEM}")
    if not isinstance(value, str):
        raise ValueError("the organization identifier has no value")
    idnst = parse_idnst(value).value
    if system is None:
        _note(problems, f"organization identifier {value!r} has no system; read as an IDNST")
    return idnst


def structure_from_organization(resource: Resource, problems: list[str] | None = None) -> Structure:
    """The structure of an Organization (CPTS §5.5, SOS association §6.4), known by its IDNST.

    The kind comes from the profile the resource claims; the first identifier with the IDNST
    system and a valid value wins. ValueError when there is none.
    """
    rejected: list[str] = []
    for identifier in _list(resource.get("identifier")):
        if isinstance(identifier, Mapping) and identifier.get("system") == IDNST_SYSTEM:
            try:
                idnst = structure_from_identifier(identifier, problems)
            except ValueError as exc:
                rejected.append(str(exc))
                continue
            meta = resource.get("meta")
            profiles = _list(meta.get("profile")) if isinstance(meta, Mapping) else ()
            kind = (
                StructureKind.CPTS
                if PROFILE_CPTS_ORGANIZATION in profiles
                else StructureKind.SOS
                if PROFILE_SOS_ORGANIZATION in profiles
                else None
            )
            return Structure(idnst=idnst, kind=kind, name=_text(resource.get("name")))
    detail = f" ({'; '.join(rejected)})" if rejected else ""
    raise ValueError(f"{label(resource)} has no valid IDNST identifier{detail}")


#: Digest §3, §16.3: the IDNST type's code system differs by IG version for the CPTS
#: Organization — fr-location-identifier-type (1.1.0 and the narrative), fr-core-cs-v2-0203
#: (1.2.0/main) — and PractitionerRole uses fr-v2-0203. All three are accepted, so that a vendor
#: following any published version is read; a vendor cannot tell which one the platform validates.
IDNST_TYPE_SYSTEMS = frozenset({FR_LOCATION_IDENTIFIER_TYPE, FR_CORE_CS_V2_0203, FR_V2_0203})


def cpts_from_organization(resource: Resource, problems: list[str] | None = None) -> Structure:
    """The CPTS of a sas-cpts-organization-aggregator Organization (digest §5.5).

    Stricter than :func:`structure_from_organization`, since a slot is attributed to whatever
    CPTS this returns: exactly one identifier (1..1), system `urn:oid:1.2.250.1.71.4.2.2`, value
    `1` + FINESS (the FINESS-invariant, Corsican 2A/2B accepted as everywhere, §16.17), and a type
    with an IDNST coding of any version's code system (IDNST_TYPE_SYSTEMS). A missing type is
    tolerated with a problem (system and value already say IDNST); any other defect raises
    ValueError.
    """
    identifiers = _list(resource.get("identifier"))
    if len(identifiers) != 1:
        raise ValueError(f"{label(resource)} has {len(identifiers)} identifiers, not exactly one")
    identifier = identifiers[0]
    if not isinstance(identifier, Mapping) or identifier.get("system") != IDNST_SYSTEM:
        raise ValueError(f"{label(resource)}'s identifier system is not {IDNST_SYSTEM}")
    value = identifier.get("value")
    if not isinstance(value, str) or not value.startswith("1") or len(value) != 10:
        raise ValueError(f"{label(resource)}'s identifier {value!r} is not 1 + FINESS")
    try:
        idnst = parse_finess(value).value
    except IdentifierError as exc:
        raise ValueError(f"{label(resource)}: {exc}") from None
    type_ = identifier.get("type")
    if type_ is None:
        _note(problems, f"{label(resource)}'s identifier has no type; read as an IDNST")
    elif not any(
        isinstance(coding, Mapping)
        and coding.get("system") in IDNST_TYPE_SYSTEMS
        and coding.get("code") == IDNST_TYPE_CODE
        for coding in _list(type_.get("coding") if isinstance(type_, Mapping) else None)
    ):
        raise ValueError(f"{label(resource)}'s identifier type is not IDNST")
    return Structure(idnst=idnst, kind=StructureKind.CPTS, name=_text(resource.get("name")))


def phone_of(resource: Resource) -> str | None:
    """The first `telecom` of system `phone` (digest §4.4: the place's phone, `+33…`)."""
    for telecom in _list(resource.get("telecom")):
        if isinstance(telecom, Mapping) and telecom.get("system") == "phone":
            phone = _text(telecom.get("value"))
            if phone:
                return phone
    return None


def place_from_location(
    location: Resource,
    *,
    phone: str | None = None,
    structure: str | None = None,
    problems: list[str] | None = None,
) -> Place:
    """The place of a Location (contained FrLocationAgregateur, or SOS PFG).

    `structure` (a prefixed IDNST already checked) is the structure the place belongs to, which the
    Location itself does not say: the PractitionerRole's organization, or the SOS association.

    `Place.id` is `system|value` of the first identifier having both (digest §4.4: both are
    mandatory); ValueError when none has. Address lines are joined with ", " (the profile wants one,
    vendors sometimes split it). A position outside the WGS84 ranges, or missing a coordinate, is
    left out with a problem. `phone` (the PractitionerRole's, §4.4) wins over the Location's own.
    """
    place_id: str | None = None
    for identifier in _list(location.get("identifier")):
        if isinstance(identifier, Mapping):
            system = _text(identifier.get("system"))
            value = _text(identifier.get("value"))
            if system and value:
                place_id = f"{system}|{value}"
                break
    if place_id is None:
        raise ValueError(f"{label(location)} has no identifier with a system and a value")
    raw_address = location.get("address")
    address = Address()
    if isinstance(raw_address, Mapping):
        lines = [line for line in map(_text, _list(raw_address.get("line"))) if line]
        address = Address(
            line=", ".join(lines) or None,
            city=_text(raw_address.get("city")),
            postal_code=_text(raw_address.get("postalCode")),
        )
    else:
        _note(problems, f"{label(location)} has no address")
    latitude = longitude = None
    position = location.get("position")
    if isinstance(position, Mapping):
        lat, long = position.get("latitude"), position.get("longitude")
        if (
            isinstance(lat, int | float)
            and isinstance(long, int | float)
            and not isinstance(lat, bool)
            and not isinstance(long, bool)
            and -90 <= lat <= 90
            and -180 <= long <= 180
        ):
            latitude, longitude = float(lat), float(long)
        else:
            _note(problems, f"{label(location)} has an unusable position; left out")
    return Place(
        id=place_id,
        name=_text(location.get("name")),
        address=address,
        latitude=latitude,
        longitude=longitude,
        phone=phone or phone_of(location),
        structure=structure,
    )


@dataclass(frozen=True, slots=True)
class RoleDetails:
    """What a PractitionerRole tells about a place of practice."""

    structure: str | None
    place: Place | None
    practitioner_reference: str | None


def practitioner_role_details(
    role: Resource, resolve: Resolver | None = None, problems: list[str] | None = None
) -> RoleDetails:
    """Structure, place and practitioner reference of a PractitionerRole (digest §4.4).

    The structure (the organization, where the practitioner practises) is also the place's
    `structure`; without a place it is only in RoleDetails.

    Never raises: every defect leaves the slot usable, so each is a problem and the part concerned
    is None. The location should be one contained `#id` reference; any other reference is still
    followed through `resolve` (a standalone Location in the bundle), and with several locations
    the first is used. An organization given by reference instead of identifier is followed too.
    """
    structure: str | None = None
    organization = role.get("organization")
    if isinstance(organization, Mapping):
        if "identifier" in organization:
            try:
                structure = structure_from_identifier(organization["identifier"], problems)
            except ValueError as exc:
                _note(problems, f"malformed organization identifier: {exc}; structure unknown")
        elif isinstance(organization.get("reference"), str) and resolve:
            found = resolve(organization["reference"], "Organization")
            if found is None:
                _note(problems, f"organization {organization['reference']} is not in the bundle")
            else:
                try:
                    structure = structure_from_organization(found, problems).idnst
                except ValueError as exc:
                    _note(problems, f"{exc}; structure unknown")

    place: Place | None = None
    locations = _list(role.get("location"))
    if not locations:
        _note(problems, "no location: the place is unknown")
    else:
        if len(locations) > 1:
            _note(problems, f"{len(locations)} locations instead of one; the first is used")
        first = locations[0]
        reference = first.get("reference") if isinstance(first, Mapping) else None
        location: Resource | None = None
        if not isinstance(reference, str):
            _note(problems, "the location has no reference")
        elif reference.startswith("#"):
            location = next(
                (
                    c
                    for c in _list(role.get("contained"))
                    if isinstance(c, Mapping)
                    and c.get("resourceType") == "Location"
                    and c.get("id") == reference[1:]
                ),
                None,
            )
            if location is None:
                _note(problems, f"location {reference} is not among the contained resources")
        else:
            _note(problems, f"location {reference!r} is not a contained '#' reference")
            location = resolve(reference, "Location") if resolve else None
        if location is not None:
            try:
                place = place_from_location(
                    location, phone=phone_of(role), structure=structure, problems=problems
                )
            except ValueError as exc:
                _note(problems, f"{exc}: the place is unknown")

    practitioner = role.get("practitioner")
    reference = practitioner.get("reference") if isinstance(practitioner, Mapping) else None
    return RoleDetails(
        structure=structure,
        place=place,
        practitioner_reference=reference if isinstance(reference, str) else None,
    )


def schedule_actor_references(schedule: Resource) -> list[str]:
    """The `actor.reference` strings of a Schedule, in order; ValueError when there is none.

    Digest §4.4: PS/CPTS schedules name a Practitioner and a PractitionerRole; §6.4: SOS schedules
    name a Location.
    """
    references = [
        actor["reference"]
        for actor in _list(schedule.get("actor"))
        if isinstance(actor, Mapping) and isinstance(actor.get("reference"), str)
    ]
    if not references:
        raise ValueError(f"{label(schedule)} has no actor reference")
    return references


def healthcare_service_provider(resource: Resource) -> str:
    """The `providedBy` reference of a CPTS HealthcareService (digest §5.4: 1..1, the CPTS)."""
    provided_by = resource.get("providedBy")
    reference = provided_by.get("reference") if isinstance(provided_by, Mapping) else None
    if not isinstance(reference, str) or not reference:
        raise ValueError(f"{label(resource)} has no providedBy reference")
    return reference
