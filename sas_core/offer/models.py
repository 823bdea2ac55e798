"""The care offer: practitioners, structures and the places where they consult."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
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


# --- The offer directory (issue #10): who the search may propose, where, and how to reach them.
#
# Plain frozen dataclasses rather than pydantic models: a directory holds hundreds of thousands
# of rows and a search reads thousands of candidates per query, so these types carry no
# per-instance validation; identifiers are checked where rows enter (the import, the generator).


class OfferKind(StrEnum):
    """What a candidate is: a practitioner at one place, or a structure at one place."""

    PRACTITIONER = "practitioner"
    STRUCTURE = "structure"


class ParticipationVia(StrEnum):
    """How an effector takes part in the SAS (search digest §3.7: codes 1 to 4)."""

    DIRECT = "direct"
    CPTS = "cpts"
    MSP = "msp"
    SOS = "sos"


class OfferModality(StrEnum):
    """Kinds of consultation offered at a place.

    The codes are the slots' (`sas_core.slots.models.Modality`, v3-ActCode): AMB in the cabinet,
    VR teleconsultation, HH home visit, so a card's modalities and its slots' compare as strings.
    """

    AMB = "AMB"
    VR = "VR"
    HH = "HH"


@dataclass(frozen=True, slots=True)
class OfferPlace:
    """One place where an offer is found, and who holds its agenda there.

    `id` is unique per offer, not across the directory: simulated vendors share one place-id
    system, and a practitioner's `(idnps, place id)` is what a vendor's slot names. `adapter` is
    the registry's adapter name that holds the agenda of this place, None when no vendor does
    ("not connected": the regulator must phone).
    """

    id: str
    line: str | None
    postal_code: str | None
    city: str | None
    insee: str | None
    latitude: float
    longitude: float
    phone: str | None = None
    adapter: str | None = None
    modalities: tuple[OfferModality, ...] = (OfferModality.AMB,)
    #: The vendor's request link for a patient beyond availability, where one is configured.
    marketplace_url: str | None = None


@dataclass(frozen=True, slots=True)
class SasParticipation:
    """An effector's SAS settings (digest §3.7, `sas_snp_user_data`)."""

    participates: bool = False
    via: ParticipationVia | None = None
    #: Accepts patients beyond availability (*surnuméraire*, `bs_sas_overbooking`).
    surnumeraire: bool = False
    #: IDNST of the CPTS the effector works through (`ss_sas_cpts_finess`), if any.
    cpts: str | None = None


@dataclass(frozen=True, slots=True)
class DirectoryPractitioner:
    """A practitioner of the directory: prefixed IDNPS, TRE_G15 profession, TRE_R38 specialties."""

    idnps: str
    family: str
    given: str
    profession: str
    specialties: tuple[str, ...]
    places: tuple[OfferPlace, ...]
    participation: SasParticipation = SasParticipation()

    @property
    def name(self) -> str:
        return f"{self.given} {self.family}".strip()


@dataclass(frozen=True, slots=True)
class DirectoryStructure:
    """A structure of the directory: CPTS, SOS association, MSP or CDS, with its places.

    A CPTS has one place (its seat) and the INSEE codes of its intervention zone; an SOS
    association has its fixed consultation sites (PFG/LFC) as places.
    """

    idnst: str
    kind: StructureKind
    name: str
    places: tuple[OfferPlace, ...]
    phone: str | None = None
    participation: SasParticipation = SasParticipation()
    zone_insee: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Candidate:
    """One (offer, place) the search may show: the read model of the offer directory.

    Stable contract with `sas_core.search`: one candidate per (offer, place); `id` is the
    prefixed IDNPS (practitioner) or IDNST (structure); `distance_km` is from the search centre
    (0 when the query had none, as for the preferred doctor); `adapter` None means "not
    connected"; `cpts` is the IDNST of the CPTS a practitioner works through.
    """

    kind: OfferKind
    id: str
    name: str
    profession: str | None
    specialties: tuple[str, ...]
    structure_kind: StructureKind | None
    place_id: str
    line: str | None
    postal_code: str | None
    city: str | None
    insee: str | None
    latitude: float
    longitude: float
    distance_km: float
    participates: bool
    participation_via: ParticipationVia | None
    surnumeraire: bool
    modalities: tuple[OfferModality, ...]
    adapter: str | None
    cpts: str | None
    phone: str | None
    marketplace_url: str | None

    @property
    def connected(self) -> bool:
        return self.adapter is not None

    @property
    def address(self) -> Address:
        """The place's address as the FHIR side models it (built on demand: a query builds
        thousands of candidates and few are shown)."""
        return Address(line=self.line, city=self.city, postal_code=self.postal_code)


@dataclass(frozen=True, slots=True)
class DirectoryStats:
    """What `sas directory stats` prints: counts of offer, participation and connection."""

    practitioners: int
    structures: dict[str, int]
    places: int
    participating_practitioners: int
    surnumeraire_practitioners: int
    connected_places: int
    cpts_zone_communes: int
    #: département → (places, participating places, connected places).
    by_departement: dict[str, tuple[int, int, int]]

    @property
    def connected_share(self) -> float:
        return self.connected_places / self.places if self.places else 0.0


class UnknownSpecialty(ValueError):
    """A specialty code the TRE_R38 nomenclature does not hold (bad input: exit 2)."""

    def __init__(self, code: str, known: tuple[str, ...]) -> None:
        self.code = code
        super().__init__(
            f"unknown specialty code {code!r}: expected a TRE_R38 code such as SM54 "
            f"(médecine générale); {len(known)} codes known, listed in docs/directory.md"
        )


#: The modulus of the directory's seeded order: a prime (2³¹ − 1), so that `shuffle × a + b mod
#: p` is a permutation of the shuffle keys for every multiplier a, and the product stays within
#: a 64-bit integer on both databases.
SHUFFLE_MODULUS = 2**31 - 1


def _hashed(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def shuffle_key(offer_id: str, place_id: str) -> int:
    """A place's fixed key in 1 … p − 1, stored with it: a hash of the place, so it does not
    depend on the other places or on the order they were written in."""
    return _hashed(f"{offer_id}|{place_id}") % (SHUFFLE_MODULUS - 1) + 1


def seed_permutation(seed: int) -> tuple[int, int]:
    """The (multiplier, offset) the search's `seed` draws: the seed is hashed, so neighbouring
    seeds give unrelated orders."""
    drawn = _hashed(f"seed|{seed}")
    return drawn % (SHUFFLE_MODULUS - 1) + 1, (drawn >> 32) % SHUFFLE_MODULUS


def seeded_position(seed: int, shuffle: int) -> int:
    """Where a place of key `shuffle` comes in the permutation of `seed` (Solr's
    `random_<seed>` field, search digest §2.4 step 10): the same in Python and in SQL."""
    multiplier, offset = seed_permutation(seed)
    return (shuffle * multiplier + offset) % SHUFFLE_MODULUS


@dataclass(frozen=True, slots=True)
class CandidateQuery:
    """A search's question to the directory: the places within `radius_km` of `center`
    (lat, lon) — of one specialty, of some kinds, surnuméraires only, without the offers in
    `exclude` — in the directory's order: participants first, then nearest first
    (`by_distance`, an address search) or the permutation of `seed`; ties on (id, place id)."""

    center: tuple[float, float]
    radius_km: float
    specialty: str | None = None
    kinds: Collection[OfferKind] | None = None
    surnumeraire_only: bool = False
    exclude: frozenset[str] = frozenset()
    by_distance: bool = False
    seed: int = 0
