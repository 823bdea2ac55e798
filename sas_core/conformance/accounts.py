"""The regulator-account checks (INT_R02, digest §7, §15.3): the checker plays the platform and
writes accounts of its own, each run with fresh identifiers and e-mails so runs never collide.

Every account it creates is a test account on the vendor's test environment, as ANS's own
acceptance creates them; none carries a real person's data.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from sas_core.conformance import catalogue as faq
from sas_core.conformance.context import Context, Fail
from sas_core.conformance.models import FixHint
from sas_core.conformance.probe import Exchange, TransportFailure
from sas_core.fhir.accounts import PLATFORM_SOURCE, PROFILE_PRACTITIONER_REGUL
from sas_core.fhir.codes import FR_V2_0203, IDNPS_TYPE_CODE, INTRN_TYPE_CODE
from sas_core.identifiers import IDNPS_SYSTEM, SAS_TECHNICAL_SYSTEM


def _account(
    system: str, value: str, *, family: str = "CONFORMITE", active: bool = True
) -> dict[str, Any]:
    code = IDNPS_TYPE_CODE if system == IDNPS_SYSTEM else INTRN_TYPE_CODE
    return {
        "resourceType": "Practitioner",
        "meta": {"source": PLATFORM_SOURCE, "profile": [PROFILE_PRACTITIONER_REGUL]},
        "identifier": [
            {
                "type": {"coding": [{"system": FR_V2_0203, "code": code}]},
                "system": system,
                "value": value,
            }
        ],
        "active": active,
        "name": [{"family": family, "given": ["Test"]}],
        "telecom": [
            {
                "system": "email",
                "value": f"conformite-{value[-12:].replace('/', '-')}@sas-conformance.test",
            }
        ],
    }


def _fresh() -> tuple[str, dict[str, Any]]:
    value = str(uuid.uuid4())
    return value, _account(SAS_TECHNICAL_SYSTEM, value)


def _post(ctx: Context, body: dict[str, Any]) -> Exchange:
    return ctx.vendor.send("POST", ctx.vendor.url("Practitioner"), body)


def _put(ctx: Context, system: str, value: str, body: dict[str, Any]) -> Exchange:
    url = ctx.vendor.url("Practitioner", [("identifier", f"{system}|{value}")])
    return ctx.vendor.send("PUT", url, body)


def _expect(
    answer: Exchange, statuses: tuple[int, ...], element: str, expected: str, faq_entry: str
) -> None:
    if answer.status not in statuses:
        raise Fail(
            f"{answer.method} answered HTTP {answer.status}" + _outcome(answer),
            [FixHint(element, f"HTTP {answer.status}", expected, faq_entry)],
        )


def _outcome(answer: Exchange) -> str:
    try:
        body = answer.json()
    except TransportFailure:
        return ""
    if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome":
        texts = [str(i.get("diagnostics")) for i in body.get("issue") or [] if isinstance(i, dict)]
        return f" ({'; '.join(texts)[:200]})"
    return ""


def create(ctx: Context) -> str:
    _, body = _fresh()
    answer = _post(ctx, body)
    _expect(answer, (201,), "POST [base]/Practitioner", "201 Created", faq.FAQ_ACCOUNTS)
    location = answer.headers.get("location")
    if not location:
        raise Fail(
            "201 without a Location header",
            [
                FixHint(
                    "Location",
                    "absent",
                    "[base]/Practitioner/<id> of the new account",
                    faq.FAQ_ACCOUNTS,
                )
            ],
        )
    return f"201, Location {location}"


def update(ctx: Context) -> str:
    value, body = _fresh()
    _expect(_post(ctx, body), (201,), "POST [base]/Practitioner", "201 Created", faq.FAQ_ACCOUNTS)
    changed = {**body, "name": [{"family": "CONFORMITE-MODIFIE", "given": ["Test"]}]}
    answer = _put(ctx, SAS_TECHNICAL_SYSTEM, value, changed)
    _expect(
        answer,
        (200,),
        "PUT [base]/Practitioner?identifier=…",
        "200 OK (the account updated)",
        faq.FAQ_ACCOUNTS,
    )
    return "200 on the conditional update"


def put_as_create(ctx: Context) -> str:
    value, body = _fresh()
    answer = _put(ctx, SAS_TECHNICAL_SYSTEM, value, body)
    _expect(
        answer,
        (200, 201),
        "PUT [base]/Practitioner?identifier=<unknown>",
        "200 or 201: an unknown identifier is created (updateCreate)",
        faq.FAQ_ACCOUNTS,
    )
    return f"{answer.status} for an unknown identifier"


def withdrawal(ctx: Context) -> str:
    value, body = _fresh()
    _expect(_post(ctx, body), (201,), "POST [base]/Practitioner", "201 Created", faq.FAQ_ACCOUNTS)
    answer = _put(ctx, SAS_TECHNICAL_SYSTEM, value, {**body, "active": False})
    _expect(
        answer,
        (200,),
        "PUT … active=false",
        "200 OK: the account de-authorised",
        faq.FAQ_WITHDRAWAL,
    )
    return "200 on active = false"


def rekeying(ctx: Context) -> str:
    value, body = _fresh()
    _expect(_post(ctx, body), (201,), "POST [base]/Practitioner", "201 Created", faq.FAQ_ACCOUNTS)
    national = "8" + "".join(random.choice("0123456789") for _ in range(11))
    rekeyed = _account(IDNPS_SYSTEM, national)
    rekeyed["telecom"] = body["telecom"]
    answer = _put(ctx, SAS_TECHNICAL_SYSTEM, value, rekeyed)
    _expect(
        answer,
        (200,),
        "PUT ?identifier=<SAS UUID> with an IDNPS body",
        "200 OK: the account now keyed on the national id",
        faq.FAQ_REKEY,
    )
    again = _put(ctx, IDNPS_SYSTEM, national, rekeyed)
    if again.status != 200:
        raise Fail(
            f"after re-keying, PUT ?identifier=<IDNPS> answered HTTP {again.status}",
            [
                FixHint(
                    "PUT [base]/Practitioner?identifier=urn:oid:1.2.250.1.71.4.2.1|…",
                    f"HTTP {again.status}",
                    "200: the re-keyed account found by its new identifier (201: a second account)",
                    faq.FAQ_REKEY,
                )
            ],
        )
    return "re-keyed, then found by its national id"


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


def invalid_fields(ctx: Context) -> str:
    cases: list[tuple[str, dict[str, Any]]] = []
    for key in ("identifier", "name", "telecom", "active"):
        cases.append((f"no {key}", _without(_fresh()[1], key)))
    _, body = _fresh()
    cases.append(
        (
            "telecom.system phone",
            {**body, "telecom": [{"system": "phone", "value": "+33102030405"}]},
        )
    )
    _, body = _fresh()
    body["identifier"][0]["system"] = IDNPS_SYSTEM
    cases.append(("IDNPS system with the INTRN type", body))
    _, body = _fresh()
    body["name"] = [{"family": "", "given": ["Test"]}]
    cases.append(("empty family name", body))
    hints = []
    for what, case in cases:
        answer = _post(ctx, case)
        outcome = _outcome(answer)
        if not 400 <= answer.status < 500 or not outcome:
            hints.append(
                FixHint(
                    f"POST [base]/Practitioner ({what})",
                    f"HTTP {answer.status}",
                    "400 or 422 with an OperationOutcome",
                    faq.FAQ_ACCOUNT_REJECTS,
                )
            )
    if hints:
        raise Fail(f"{len(hints)} of {len(cases)} invalid accounts not refused", hints)
    return f"{len(cases)} invalid accounts refused with an OperationOutcome"


def duplicate(ctx: Context) -> str:
    _, body = _fresh()
    _expect(_post(ctx, body), (201,), "POST [base]/Practitioner", "201 Created", faq.FAQ_ACCOUNTS)
    answer = _post(ctx, body)
    if not 400 <= answer.status < 500:
        raise Fail(
            f"the same account posted twice answered HTTP {answer.status}",
            [
                FixHint(
                    "POST [base]/Practitioner (existing identifier)",
                    f"HTTP {answer.status}",
                    "4xx (409): an account that exists is updated by PUT, never created twice",
                    faq.FAQ_DUPLICATES,
                )
            ],
        )
    return f"the second POST refused with HTTP {answer.status}"
