"""What a search asks and what it answers: the request, its filters, and one card per offer, each
with a status that says why it has slots or not.

The candidates come from the offer directory (`sas_core.offer`); what the search needs of them
is written here as protocols (`OfferCandidate`, `CandidateSource`), so that the ranking can be
tested on plain lists and any directory that answers these questions can serve a search.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from sas_core.geography.models import SearchArea
from sas_core.offer.models import CandidateQuery, OfferKind
from sas_core.slots.models import Modality, Slot

#: Issue #10 item 6: every card says which of these it is; the web front shows them distinctly.
CardStatus = Literal["slots", "no-slot", "not-connected", "vendor-error", "circuit-open"]
CARD_STATUSES: tuple[CardStatus, ...] = (
    "slots",
    "no-slot",
    "not-connected",
    "vendor-error",
    "circuit-open",
)

#: Digest §2.5, §5: availability is asked for lots of 25 candidates…
LOT_SIZE = 25
#: …with at most 10 SOS Médecins associations in one (the IG's limit per request).
MAX_SOS_PER_LOT = 10
#: Digest §2.3 step 3: the radius aims at 5 practitioners at least; fewer candidates than this
#: in the first circle make the search try the enlarged one (`enlargementValue`).
MIN_CANDIDATES = 5
#: Digest §2.1: the window is fixed on the official platform; `--within` may only shorten it.
MAX_WITHIN = timedelta(hours=72)


class OfferCandidate(Protocol):
    """One place of the offer a search may show: a practitioner's place or a structure's.

    `adapter` is the registry adapter that holds the agenda of this place (None: no vendor holds
    it, the regulator must phone); `cpts` the IDNST of the CPTS the practitioner takes part in
    the SAS through, if any; `structure_kind` the kind (`sos`, `cpts`, `msp`, `cds`) of a
    structure candidate.
    """

    @property
    def kind(self) -> OfferKind: ...
    @property
    def id(self) -> str: ...
    @property
    def place_id(self) -> str: ...
    @property
    def latitude(self) -> float: ...
    @property
    def longitude(self) -> float: ...
    @property
    def participates(self) -> bool: ...
    @property
    def surnumeraire(self) -> bool: ...
    @property
    def modalities(self) -> Collection[str]: ...
    @property
    def adapter(self) -> str | None: ...
    @property
    def cpts(self) -> str | None: ...
    @property
    def structure_kind(self) -> str | None: ...
    @property
    def marketplace_url(self) -> str | None: ...


class CandidateSource(Protocol):
    """The offer directory as a search asks it (digest §2.4, §2.8 CPTS, §2.11)."""

    def ranked(
        self, query: CandidateQuery, *, offset: int = 0, limit: int
    ) -> Sequence[OfferCandidate]:
        """The candidates `offset` … `offset + limit` of `query`, in the directory's order
        (`sas_core.search.ranking.directory_rank`); `ValueError` for a radius the directory
        cannot search."""
        ...

    def count(self, query: CandidateQuery) -> int:
        """How many candidates `query` has in all."""
        ...

    def places_in(
        self, query: CandidateQuery, offer_ids: Collection[str]
    ) -> Mapping[str, set[str]]:
        """Which places of these offers `query` lists, whatever their page."""
        ...

    def cpts_covering(self, insee: str) -> Sequence[OfferCandidate]:
        """The CPTS whose intervention zone contains the commune `insee`."""
        ...

    def practitioner_places(self, idnps: str) -> Sequence[OfferCandidate]:
        """Every place of one practitioner, wherever it is (the preferred doctor, §2.11)."""
        ...

    def check_specialty(self, code: str) -> str:
        """`code`, or `ValueError` saying it is not a specialty the directory knows."""
        ...


class SearchInputError(ValueError):
    """A search that cannot be run as asked; the message says what was understood and what not."""


# -------------------------------------------------------------------------------------------------
# Filters (digest §2.9, issue #10 item 7)
# -------------------------------------------------------------------------------------------------

#: "Disponible sous": hours from now; a slot is in every bucket its [start, end] overlaps.
AVAILABILITY_BUCKETS: dict[str, tuple[int, int]] = {
    "0-4h": (0, 4),
    "4-8h": (4, 8),
    "8-12h": (8, 12),
    "12-24h": (12, 24),
    "24-48h": (24, 48),
    "48-72h": (48, 72),
}
#: The modalities a regulator names, and the ActCode each means (digest §2.7 step 4).
MODALITY_NAMES: dict[str, Modality] = {
    "cabinet": Modality.AMB,
    "teleconsultation": Modality.VR,
    "home": Modality.HH,
}
#: A card's type: `practitioner`, or the kind of its structure.
CARD_TYPES = ("practitioner", "cpts", "sos", "msp", "cds")


class Filters(BaseModel):
    """What the regulator narrowed the list to: union inside a category, intersection across
    them (digest §2.9). Empty categories filter nothing."""

    model_config = ConfigDict(frozen=True)

    with_slots: bool = False
    surnumeraire: bool = False
    available_within: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    modalities: frozenset[Modality] = frozenset()

    @classmethod
    def parse(cls, tokens: Sequence[str]) -> Filters:
        """`with-slots`, `surnumeraire`, `available:0-4h`, `type:cpts`, `modality:home`, …;
        a comma separates several values of one category (`type:cpts,sos`)."""
        with_slots = surnumeraire = False
        within: set[str] = set()
        types: set[str] = set()
        modalities: set[Modality] = set()
        for token in tokens:
            name, _, values = token.strip().lower().partition(":")
            given = [v.strip() for v in values.split(",") if v.strip()]
            if name == "with-slots" and not given:
                with_slots = True
            elif name == "surnumeraire" and not given:
                surnumeraire = True
            elif name == "available" and given:
                within |= _known(given, AVAILABILITY_BUCKETS, token)
            elif name == "type" and given:
                types |= _known(given, CARD_TYPES, token)
            elif name == "modality" and given:
                modalities |= {MODALITY_NAMES[m] for m in _known(given, MODALITY_NAMES, token)}
            else:
                raise SearchInputError(
                    f"unknown filter {token!r}: filters are with-slots, surnumeraire, "
                    f"available:{'|'.join(AVAILABILITY_BUCKETS)}, type:{'|'.join(CARD_TYPES)}, "
                    f"modality:{'|'.join(MODALITY_NAMES)}"
                )
        return cls(
            with_slots=with_slots,
            surnumeraire=surnumeraire,
            available_within=frozenset(within),
            types=frozenset(types),
            modalities=frozenset(modalities),
        )


def _known(values: Sequence[str], known: Collection[str], token: str) -> set[str]:
    unknown = [v for v in values if v not in known]
    if unknown:
        raise SearchInputError(
            f"filter {token!r}: {', '.join(map(repr, unknown))} unknown; "
            f"known values: {', '.join(known)}"
        )
    return set(values)


# -------------------------------------------------------------------------------------------------
# Preferred doctor (digest §2.11)
# -------------------------------------------------------------------------------------------------

PreferredDoctorCode = Literal["sas_pf_001", "sas_pf_002"]


class PreferredDoctorError(BaseModel):
    """Why the LRM's preferred doctor is not shown first; the search itself goes on."""

    model_config = ConfigDict(frozen=True)

    error_code_sas: PreferredDoctorCode
    error_message_sas: str


# -------------------------------------------------------------------------------------------------
# Request and answer
# -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchRequest:
    """One search: where, what, and how the list is narrowed.

    `seed` orders equivalent offers for a non-address search (None: drawn once for this
    search and reported, so the same list can be asked again); `fresh` asks the vendors even
    when their answer is still cached; `radius_given` says the radius was chosen by the
    regulator, so no enlarged second pass is tried; `limit` stops after that many cards.
    """

    area: SearchArea
    specialty: str | None = None
    within: timedelta | None = None
    filters: Filters = field(default_factory=Filters)
    seed: int | None = None
    fresh: bool = False
    preferred_doctor: str | None = None
    radius_given: bool = False
    limit: int | None = None


class SearchHeader(BaseModel):
    """What a search is about, known before any vendor is asked."""

    lat: float
    lon: float
    radius_km: float
    seed: int
    territory: str
    place: str
    kind: str
    enlarged: bool = Field(description="The first circle had too few offers: radius enlarged")
    window_start: AwareDatetime
    window_end: AwareDatetime
    candidates: int
    preferred_doctor_error: PreferredDoctorError | None = None

    def as_contract(self) -> dict[str, object]:
        """The head of `sas search --format json` (and the first line of `jsonl`)."""
        document: dict[str, object] = {
            "center": {"lat": self.lat, "lon": self.lon},
            "radius_km": self.radius_km,
            "seed": self.seed,
            "territory": self.territory,
            "place": self.place,
            "kind": self.kind,
            "enlarged": self.enlarged,
            "window": {
                "start": self.window_start.isoformat(),
                "end": self.window_end.isoformat(),
            },
            "candidates": self.candidates,
        }
        if self.preferred_doctor_error is not None:
            document["preferred_doctor_error"] = self.preferred_doctor_error.model_dump()
        return document


class Card(BaseModel):
    """One result: a practitioner's place, a structure's, or a CPTS standing for its members.

    `fetched_at` is when the vendor's answer shown was fetched (an older one came from the
    cache); `cause` says why a card is `vendor-error`, `circuit-open` or `not-connected`.
    """

    kind: OfferKind
    id: str
    place_id: str
    type: str
    lat: float
    lon: float
    distance_km: float
    participates: bool
    status: CardStatus
    cause: str | None = None
    adapter: str | None = None
    fetched_at: AwareDatetime | None = None
    slots: list[Slot] = Field(default_factory=list)
    available_within: list[str] = Field(default_factory=list)
    surnumeraire: bool = False
    marketplace_url: str | None = None
    cpts: str | None = Field(default=None, description="the CPTS a practitioner belongs to")
    members: list[str] = Field(default_factory=list, description="a CPTS card's practitioners")
    preferred: bool = False
    lot: int

    def as_contract(self) -> dict[str, object]:
        """One entry of `results`: `kind`, `id`, `distance_km`, `participates`, `status`,
        `slots` (as `sas slots fetch` prints them), and the rest of the card."""
        return self.model_dump(mode="json")


class SearchPage(BaseModel):
    """The cards of one lot, in their final order, as soon as the lot is complete."""

    lot: int
    cards: list[Card]
