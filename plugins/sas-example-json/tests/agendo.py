"""Agendo, the fictitious vendor, as a small server of its own: its proprietary JSON API over
the simulator's dataset (practitioners, places, free slots), on a real socket.

It checks what a real vendor would: the Bearer key, the users it is sent, the signature of a
booking link; `faults.mode` makes it fail (`http-500`, `hang`, `not-json`)."""

from __future__ import annotations

import asyncio
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from litestar import Litestar, Request, Response, get, put
from litestar.params import FromPath, FromQuery

from sas_core import Modality
from sas_core.serving.server import AsgiServer
from sas_example_json.api import link_signature
from sas_simulator.dataset import Dataset

API_KEY = "agendo-test-key"
LINK_SECRET = "agendo-test-link-secret"
KINDS = {Modality.AMB: "office", Modality.VR: "video", Modality.HH: "home"}


@dataclass
class AgendoState:
    dataset: Dataset
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    writes: list[str] = field(default_factory=list)
    mode: str | None = None


def refuse(status: int, message: str) -> Response[dict[str, str]]:
    return Response({"error": message}, status_code=status)


def authorised(request: Request[Any, Any, Any]) -> bool:
    sent = request.headers.get("authorization", "")
    return hmac.compare_digest(sent, f"Bearer {API_KEY}")


def create_agendo(dataset: Dataset) -> Litestar:
    state = AgendoState(dataset)

    @get("/api/metadata", sync_to_thread=False)
    def status() -> dict[str, str]:
        return {"service": "agendo", "status": "up"}

    @get("/api/v2/availabilities")
    async def availabilities(request: Request[Any, Any, Any]) -> Response[Any]:
        if not authorised(request):
            return refuse(401, "unknown API key")
        if state.mode == "hang":
            await asyncio.sleep(30)
        if state.mode == "http-500":
            return refuse(500, "agenda database unavailable")
        if state.mode == "not-json":
            return Response("<html>maintenance</html>", media_type="text/html")
        try:
            wanted = set(request.query_params["rpps"].split(","))
            start = datetime.fromisoformat(request.query_params["from"])
            end = datetime.fromisoformat(request.query_params["to"])
        except (KeyError, ValueError):
            return refuse(400, "rpps, from and to are required")
        root = str(request.base_url).rstrip("/")
        found = [
            {
                "uid": slot.id,
                "rpps": practitioner.idnps.removeprefix("8"),
                "begins": slot.start.isoformat(),
                "minutes": int((slot.end - slot.start).total_seconds() // 60),
                "kind": KINDS[slot.modalities[0]] if slot.modalities else "office",
                "place": {
                    "id": schedule.place.id,
                    "label": schedule.place.name,
                    "street": schedule.place.line,
                    "zip": schedule.place.postal_code,
                    "city": schedule.place.city,
                },
                "booking": f"{root}/r/{slot.id}",
            }
            for practitioner in state.dataset.practitioners
            if practitioner.idnps.removeprefix("8") in wanted
            for schedule in state.dataset.schedules_of(practitioner)
            for slot in schedule.free_slots
            if start <= slot.start < end
        ]
        return Response({"availabilities": found})

    @put("/api/v2/users/{sas_id:str}")
    async def put_user(request: Request[Any, Any, Any], sas_id: FromPath[str]) -> Response[Any]:
        if not authorised(request):
            return refuse(401, "unknown API key")
        user = await request.json()
        missing = [k for k in ("first_name", "last_name", "email", "enabled") if k not in user]
        if missing or user.get("sas_id") != sas_id:
            return refuse(422, f"invalid user: missing {missing or 'a matching sas_id'}")
        created = sas_id not in state.users
        state.users[sas_id] = user
        state.writes.append(sas_id)
        return Response({"id": sas_id}, status_code=201 if created else 200)

    @get("/api/_test/users", sync_to_thread=False)
    def users() -> dict[str, Any]:
        return {"users": state.users, "writes": state.writes}

    @get("/r/{uid:str}", sync_to_thread=False)
    def booking(
        uid: FromPath[str],
        origin: FromQuery[str | None] = None,
        sas_user: FromQuery[str | None] = None,
        sig: FromQuery[str | None] = None,
    ) -> Response[str]:
        if not origin:
            return Response("SAS links need origin", status_code=403, media_type="text/plain")
        expected = link_signature(LINK_SECRET, uid, origin, sas_user or "")
        if sas_user not in state.users or not hmac.compare_digest(sig or "", expected):
            return Response("link not signed by the SAS", status_code=403, media_type="text/plain")
        name = state.users[sas_user]["first_name"]
        return Response(f"Agendo: booking {uid} for {name}", media_type="text/plain")

    app = Litestar([status, availabilities, put_user, users, booking])
    app.state.agendo = state
    return app


def agendo_state(app: Litestar) -> AgendoState:
    state: AgendoState = app.state.agendo
    return state


class AgendoServer(AsgiServer):
    """Agendo on a free loopback port; `base_url` is its API root (`GET /api/metadata`, its
    status, is what the server waits for before a test starts)."""

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/api"
