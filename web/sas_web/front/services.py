"""What the front's pages and API read and change, gathered from the core's services: the
handlers hold no rule and no SQL, they call these and render the result."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import anyio.to_thread
from sqlalchemy.engine import Engine

from sas_core.accounts.models import Regulator
from sas_core.accounts.regulators import AccountStateError, get_regulator, list_regulators
from sas_core.appointments import figures
from sas_core.appointments.models import AppointmentStatus
from sas_core.clock import PARIS
from sas_core.geography.models import GeocodeResult, SearchArea
from sas_core.geography.radius import load_radius_table
from sas_core.geography.search_area import geocode, search_area
from sas_core.identifiers import IDNPS_SYSTEM, SAS_TECHNICAL_SYSTEM
from sas_core.offer.directory import OfferDirectory
from sas_core.offer.models import Candidate
from sas_core.plugins.host import PluginHost
from sas_core.plugins.models import AdapterConfig
from sas_core.registry import changes
from sas_core.registry.directory import RegistryDirectory, territory_views
from sas_core.registry.health import DatabaseHealth, HealthSettings, health_report
from sas_core.registry.models import AdapterState, AuditEntry, DeclaredAdapter, TerritoryView
from sas_core.registry.search_radius import RegistryRadiusTable
from sas_core.search.models import Card, Filters, SearchHeader, SearchPage, SearchRequest
from sas_core.search.service import RunningSearch, SearchService
from sas_core.settings import PlatformSettings
from sas_core.slots.models import Slot
from sas_core.sso.models import NoBookingUrl
from sas_core.sso.redirect import sso_redirect
from sas_core.storage.appointments import (
    appointment_histories,
    operator_appointments,
)
from sas_core.storage.booking_intents import (
    CASE_REFERENCE_MAX_LENGTH,
    BookingIntent,
    record_intents,
)
from sas_core.storage.health import health_windows
from sas_core.storage.registry import audit_entries, read_registry

#: An LRM's case reference as the front accepts it: what a case number looks like, no name.
CASE_REFERENCE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:\-]{{0,{CASE_REFERENCE_MAX_LENGTH - 1}}}")
STATUS_LABELS = {
    AppointmentStatus.PENDING: "En attente",
    AppointmentStatus.BOOKED: "Réservé",
    AppointmentStatus.FULFILLED: "Honoré",
    AppointmentStatus.NOSHOW: "Patient absent",
    AppointmentStatus.CANCELLED: "Annulé",
}
#: DSFR badge of each status; the label says it too (never the colour alone).
STATUS_BADGES = {
    AppointmentStatus.PENDING: "fr-badge--info",
    AppointmentStatus.BOOKED: "fr-badge--success",
    AppointmentStatus.FULFILLED: "fr-badge--success",
    AppointmentStatus.NOSHOW: "fr-badge--warning",
    AppointmentStatus.CANCELLED: "fr-badge--error",
}


#: Cards per lot the results page loads at a time (the engine's lots of 25, digest §2.5).
STATUS_LABELS_CARD = {
    "slots": ("Créneaux disponibles", "fr-badge--success"),
    "no-slot": ("Aucun créneau libre", "fr-badge--info"),
    "not-connected": ("Agenda non connecté : téléphoner", "fr-badge--warning"),
    "vendor-error": ("Erreur de l’éditeur", "fr-badge--error"),
    "circuit-open": ("Éditeur indisponible", "fr-badge--error"),
}
DISPLAY_FILTERS = {
    "creneaux": Filters(with_slots=True),
    "sus": Filters(surnumeraire=True),
    "tous": Filters(),
}


@dataclass(frozen=True)
class LrmCase:
    """The LRM case a search was opened for (`/sas/recherche`): its slots are booked for it."""

    lrm: str
    reference: str


@dataclass(frozen=True)
class SlotLine:
    start: str
    booking_url: str | None


@dataclass(frozen=True)
class CardLine:
    """One result card as the page shows it: the engine's card and the directory's words."""

    name: str
    kind: str
    address: str
    phone: str | None
    distance_km: float
    participation: str
    status: str
    status_label: str
    badge: str
    cause: str | None
    slots: list[SlotLine]
    more_slots: int
    marketplace_url: str | None
    preferred: bool = False


@dataclass(frozen=True)
class ResultsLot:
    """One lot of results (`lot` counts from 1, as the engine's) and whether another follows."""

    header: SearchHeader
    lot: int
    cards: list[CardLine]
    more: bool


@dataclass(frozen=True)
class HistoryLine:
    at: str
    status: str
    label: str


@dataclass(frozen=True)
class AppointmentLine:
    """One appointment of "my appointments", with its status history (INT_R03)."""

    id: str
    vendor: str
    start: str
    status: str
    status_label: str
    badge: str
    history: list[HistoryLine] = field(default_factory=list)


@dataclass(frozen=True)
class AdapterLine:
    """One (territory, adapter) of the platform team's table."""

    territory: str
    territory_name: str
    adapter: str
    enabled: bool
    state: str
    circuit: str
    calls: int
    errors: int
    p50_ms: float | None
    latencies: tuple[float, ...]
    failures: tuple[float, ...]


def paris(at: datetime) -> str:
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    return aware.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


class FrontServices:
    """The core's services on one database and plugin host."""

    def __init__(
        self,
        engine: Engine,
        plugins: PluginHost,
        settings: PlatformSettings,
    ) -> None:
        self.engine = engine
        self.plugins = plugins
        self.settings = settings
        self.directory = OfferDirectory(engine)
        self.registry = RegistryDirectory(engine, plugins)
        self.search_engine = SearchService(
            self.directory,
            plugins,
            self.registry,
            breaker=DatabaseHealth(engine, HealthSettings().policy()),
        )

    # -- geography ---------------------------------------------------------------------------

    def geocode(self, text: str) -> tuple[GeocodeResult, SearchArea]:
        """The place and the circle to search (the radius of its territory: the registry's
        override, else ANS's table, else the fallbacks); `GeocodeError` when not found."""
        place = geocode(text, self.plugins.hooks)
        table = RegistryRadiusTable(self.engine, load_radius_table(self.settings.radius_table))
        return place, search_area(place, table)

    # -- search --------------------------------------------------------------------------------

    def start_search(
        self,
        area: SearchArea,
        specialty: str | None,
        display: str,
        seed: int | None,
        *,
        preferred: str | None = None,
    ) -> RunningSearch:
        """The search engine's search (directory asked, no vendor yet); `SearchInputError` for
        what it cannot understand (an unknown specialty). `preferred`: the LRM's attending
        doctor, shown first (None: not an LRM search)."""
        request = SearchRequest(
            area=area,
            specialty=specialty or None,
            filters=DISPLAY_FILTERS.get(display, Filters()),
            seed=seed,
            preferred_doctor=preferred,
        )
        return self.search_engine.start(request)

    async def cards_of_lot(self, running: RunningSearch, lot: int) -> tuple[list[Card], bool]:
        """The engine's cards of lot `lot`, and whether another lot follows."""
        wanted: list[Card] = []
        # Closed when left early: the lots still loading are cancelled, the adapters released.
        lots = cast(AsyncGenerator[SearchPage, None], running.pages())  # an async generator
        async with contextlib.aclosing(lots) as pages:
            async for page in pages:
                if page.lot == lot or (lot == 1 and page.lot == 0):
                    # Lot 0 is the LRM's preferred doctor: shown at the head of the first lot.
                    wanted.extend(page.cards)
                elif page.lot > lot:
                    return wanted, True
        return wanted, False

    async def results_lot(
        self,
        running: RunningSearch,
        lot: int,
        user_sub: str,
        case: LrmCase | None = None,
    ) -> ResultsLot:
        """Lot `lot` of a search, in its final order (the earlier lots are cached answers),
        with the directory's words for each card and its booking links. With an LRM `case`,
        each bookable slot shown is kept as a booking intent for it (see `booking_intents`)."""
        wanted, more = await self.cards_of_lot(running, lot)
        header = running.header
        # The directory's words for the cards shown only (a dense city's circle holds
        # thousands of places); the preferred doctor's are found wherever he is.
        known = await anyio.to_thread.run_sync(
            lambda: {
                (c.id, c.place_id): c
                for c in self.directory.offer_places([(c.id, c.place_id) for c in wanted])
            }
        )

        def lines() -> list[CardLine]:
            regulator = self._regulator(user_sub)
            shown = [
                self._card_line(card, known.get((card.id, card.place_id)), regulator)
                for card in wanted
            ]
            if case is not None and regulator is not None:
                self._keep_intents(case, regulator, wanted, shown)
            return shown

        shown = await anyio.to_thread.run_sync(lines)
        return ResultsLot(header, lot, shown, more)

    def _keep_intents(
        self, case: LrmCase, regulator: Regulator, cards: list[Card], lines: list[CardLine]
    ) -> None:
        """The slots this regulator may book for the LRM case: what intake matches later."""
        intents = [
            BookingIntent(
                regulator.id,
                card.adapter,
                slot.practitioner,
                slot.id,
                slot.start,
                case.lrm,
                case.reference,
            )
            for card, line in zip(cards, lines, strict=True)
            if card.adapter is not None
            for slot, shown in zip(card.slots, line.slots, strict=False)
            if shown.booking_url is not None
        ]
        record_intents(self.engine, intents, datetime.now(UTC))

    def _regulator(self, sub: str) -> Regulator | None:
        try:
            return get_regulator(self.engine, uuid.UUID(sub))
        except (ValueError, AccountStateError):
            return None

    def _card_line(
        self, card: Card, known: Candidate | None, regulator: Regulator | None
    ) -> CardLine:
        label, badge = STATUS_LABELS_CARD.get(card.status, (card.status, ""))
        if known is not None:
            address = ", ".join(x for x in (known.line, known.postal_code, known.city) if x)
            via = known.participation_via
            participation = (
                f"Participe au SAS{f' ({via})' if via else ''}"
                if known.participates
                else "Ne participe pas au SAS"
            )
        else:
            address, participation = "", "Participe au SAS" if card.participates else ""
        shown = card.slots[:3]
        adapter = self.registry.adapter_named(card.adapter) if card.adapter and regulator else None
        return CardLine(
            name=known.name if known is not None else card.id,
            kind=card.type,
            address=address,
            phone=known.phone if known is not None else None,
            distance_km=round(card.distance_km, 1),
            participation=participation,
            status=card.status,
            status_label=label,
            badge=badge,
            cause=card.cause,
            slots=[
                SlotLine(paris(slot.start), self._booking(adapter, regulator, slot))
                for slot in shown
            ],
            more_slots=max(len(card.slots) - len(shown), 0),
            marketplace_url=card.marketplace_url,
            preferred=card.preferred,
        )

    def _booking(
        self, adapter: AdapterConfig | None, regulator: Regulator | None, slot: Slot
    ) -> str | None:
        """The SSO redirect to the vendor's booking page (digest §8), when the vendor has one."""
        if adapter is None or regulator is None:
            return None
        try:
            return sso_redirect(self.plugins, adapter, regulator, slot).url
        except NoBookingUrl:
            return None

    # -- appointments --------------------------------------------------------------------------

    def my_appointments(self, sub: str, national_id: str | None) -> list[AppointmentLine]:
        """The regulator's appointments (by technical id, and national id when known)."""
        keys = [(SAS_TECHNICAL_SYSTEM, sub)]
        if national_id:
            keys.append((IDNPS_SYSTEM, national_id))
        rows = operator_appointments(self.engine, keys)
        histories = appointment_histories(self.engine, [r.id for r in rows])
        return [
            AppointmentLine(
                id=r.id,
                vendor=r.vendor,
                start=paris(r.start_at),
                status=r.status,
                status_label=STATUS_LABELS.get(AppointmentStatus(r.status), r.status),
                badge=STATUS_BADGES.get(AppointmentStatus(r.status), ""),
                history=[
                    HistoryLine(
                        paris(h.changed_at),
                        h.status,
                        STATUS_LABELS.get(AppointmentStatus(h.status), h.status),
                    )
                    for h in histories.get(r.id, [])
                ],
            )
            for r in rows
        ]

    def monthly_counts(self, now: datetime | None = None) -> dict[tuple[str, str, str], int]:
        """Appointments per (territory, vendor, month `YYYY-MM`): `figures.monthly_counts`."""
        return figures.monthly_counts(self.engine, now or datetime.now(UTC))

    # -- the registry --------------------------------------------------------------------------

    def territories(self) -> list[TerritoryView]:
        return territory_views(self.engine)

    def adapter_names(self) -> list[str]:
        return sorted(read_registry(self.engine).adapters)

    def adapter_lines(self, territory: str | None = None) -> list[AdapterLine]:
        """Every adapter enabled (or once enabled) in a territory, with its health."""
        window = HealthSettings().window
        health = {
            (w.territory, w.adapter): w
            for w in health_windows(self.engine, datetime.now(UTC) - window, territory=territory)
        }
        report = {
            (h.territory, h.adapter): h for h in health_report(self.engine, territory=territory)
        }
        lines = []
        for view in territory_views(self.engine):
            if territory is not None and view.code != territory:
                continue
            for a in view.adapters:
                w = health.get((view.code, a.adapter))
                h = report.get((view.code, a.adapter))
                recent = w.circuit.recent if w else ""
                lines.append(
                    AdapterLine(
                        territory=view.code,
                        territory_name=view.name,
                        adapter=a.adapter,
                        enabled=a.enabled,
                        state=str(a.state),
                        circuit=w.circuit.state if w else "closed",
                        calls=h.calls if h else 0,
                        errors=h.errors if h else 0,
                        p50_ms=h.p50_ms if h else None,
                        latencies=tuple(w.durations_ms[-40:]) if w else (),
                        failures=tuple(_failure_rate(recent)),
                    )
                )
        return lines

    def declaration(self, adapter: str) -> DeclaredAdapter | None:
        """The adapter as declared (its settings, secrets as their references, and deadline)."""
        return read_registry(self.engine).adapters.get(adapter)

    def audit(self, territory: str, adapter: str, limit: int = 20) -> list[AuditEntry]:
        """The adapter's changes in `territory`, with those of its settings (every territory's)."""
        entries = audit_entries(self.engine, adapter=adapter)
        return [e for e in entries if e.territory in (territory, None)][:limit]

    def change_adapter(
        self,
        territory: str,
        adapter: str,
        action: str,
        *,
        actor: str,
        reason: str,
        state: str | None = None,
        settings: dict[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> list[Any]:
        """Enable, disable, move or configure through the registry's change services (audit
        trail with `reason`); `RegistryInputError`/`RegistryStateError` when refused."""
        if action == "enable":
            return changes.enable(
                self.engine, self.plugins, territory, adapter, actor=actor, reason=reason
            )
        if action == "disable":
            return changes.disable(self.engine, territory, adapter, actor=actor, reason=reason)
        if action == "state":
            return changes.move(
                self.engine,
                territory,
                adapter,
                AdapterState(state or ""),
                actor=actor,
                reason=reason,
            )
        if action == "settings":
            return changes.configure(
                self.engine,
                self.plugins,
                adapter,
                settings=settings or {},
                timeout_s=timeout_s,
                actor=actor,
                reason=reason,
            )
        raise ValueError(f"unknown action {action!r}")

    # -- regulators ----------------------------------------------------------------------------

    def regulators(self) -> list[tuple[Any, list[Any]]]:
        return list_regulators(self.engine)


def _failure_rate(recent: str, span: int = 5) -> Sequence[float]:
    """The share of failures over each run of `span` recent searches (`Circuit.recent`)."""
    return [
        recent[i : i + span].count("0") / len(recent[i : i + span])
        for i in range(0, len(recent), span)
    ]
