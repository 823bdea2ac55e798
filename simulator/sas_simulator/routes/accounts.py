"""Regulator accounts (INT_R02, digest §7): `POST /fhir/Practitioner`,
`PUT /fhir/Practitioner?identifier=SYS|VAL`, validated against FrPractitionerRegul
(`sas_simulator.accounts`), and `GET /_sim/accounts`, what was written."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency

from sas_simulator.accounts import (
    AccountRejected,
    Problem,
    Written,
    check_practitioner_regul,
    parse_token,
)
from sas_simulator.rest import FhirError, fhir_response, negotiate, write_body
from sas_simulator.vendor import SimulatedVendor


async def _account_write(
    request: Request[Any, Any, Any], vendor: SimulatedVendor, method: Literal["POST", "PUT"]
) -> Response[Any]:
    """Digest §7.2/§7.3: validate, then the faults, then apply; every write is logged."""
    accounts = vendor.accounts
    token = request.query_params.get("identifier") if method == "PUT" else None
    try:
        negotiate(request)
        resource = await write_body(request)
        problems = check_practitioner_regul(resource)
        if problems:
            status = 400 if problems[0].expression == "Practitioner" else 422
            raise AccountRejected(status, problems)
        assert isinstance(resource, dict)  # a conforming Practitioner is a JSON object
        if method == "PUT":
            if token is None:
                raise AccountRejected(
                    400, [Problem("identifier", "PUT needs ?identifier=system|value")]
                )
            key = parse_token(token)
        failed = await vendor.misbehave(request, f"{vendor.root_of(request)}/fhir/Practitioner")
        if failed is not None:
            accounts.record(method, token, failed.status_code or 200)
            return failed
        written: Written = (
            accounts.create(resource) if method == "POST" else accounts.put(key, resource)
        )
    except AccountRejected as exc:
        accounts.record(method, token, exc.status)
        return fhir_response(exc.operation_outcome(), exc.status)
    except FhirError as exc:
        accounts.record(method, token, exc.status)
        raise
    status = 201 if written.created else 200
    accounts.record(method, token, status)
    location = f"{vendor.root_of(request)}/fhir/Practitioner/{written.account.id}"
    return fhir_response(written.account.resource, status, {"Location": location})


class AccountsController(Controller):
    @post("/fhir/Practitioner")
    async def create_practitioner(
        self, request: Request[Any, Any, Any], vendor: NamedDependency[SimulatedVendor]
    ) -> Response[Any]:
        return await _account_write(request, vendor, "POST")

    @put("/fhir/Practitioner")
    async def update_practitioner(
        self, request: Request[Any, Any, Any], vendor: NamedDependency[SimulatedVendor]
    ) -> Response[Any]:
        return await _account_write(request, vendor, "PUT")

    @get("/_sim/accounts", sync_to_thread=False)
    def read_accounts(self, vendor: NamedDependency[SimulatedVendor]) -> dict[str, Any]:
        return vendor.accounts.snapshot()
