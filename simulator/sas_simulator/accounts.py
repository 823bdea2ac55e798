"""The vendor side of INT_R02: regulator accounts created and updated by the SAS platform.

`check_practitioner_regul` applies FrPractitionerRegul and the rejections of digest §15.3, naming
the element and the rule of every problem; `AccountStore` keeps one simulated vendor's accounts
in memory with the IG's write rules (digest §7.2–7.4, §7.6):

- POST of an account that already exists — an identifier or the e-mail of an *active* account —
  is a conflict (409);
- `PUT ?identifier=` updates the one matching account (200), creates it when none matches
  (PUT-as-create, 201), and answers 412 when several do; the body may carry another identifier
  than the query (re-keying);
- a de-authorised account never blocks its identifiers: re-assigning one to another account
  takes it from the de-authorised one (§7.4).

A PUT whose query matches nothing but whose body identifier names exactly one account updates
that account: a platform re-sending a re-keying PUT whose answer it lost must not get a
duplicate (the interface is idempotent, §7.3).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from sas_core.fhir.accounts import PLATFORM_SOURCE
from sas_core.fhir.codes import FR_V2_0203, IDNPS_TYPE_CODE, INTRN_TYPE_CODE
from sas_core.identifiers import IDNPS_SYSTEM, SAS_TECHNICAL_SYSTEM

#: identifier.system → (slice name, the type code its pattern fixes), digest §7.5.
SLICES = {
    IDNPS_SYSTEM: ("IdentifiantNatPS", IDNPS_TYPE_CODE),
    SAS_TECHNICAL_SYSTEM: ("IdentifiantInterne", INTRN_TYPE_CODE),
}


@dataclass(frozen=True)
class Problem:
    """One broken rule: the FHIRPath of the element and what the rule says."""

    expression: str
    rule: str

    def as_issue(self) -> dict[str, Any]:
        return {
            "severity": "error",
            "code": "invariant" if "slice" in self.rule else "invalid",
            "diagnostics": f"{self.expression}: {self.rule}",
            "expression": [self.expression],
        }


class AccountRejected(Exception):
    """A write refused with `status` and the problems found (an OperationOutcome)."""

    def __init__(self, status: int, problems: list[Problem], code: str | None = None) -> None:
        self.status = status
        self.problems = problems
        self.code = code
        super().__init__("; ".join(f"{p.expression}: {p.rule}" for p in problems))

    def operation_outcome(self) -> dict[str, Any]:
        issues = [p.as_issue() for p in self.problems]
        if self.code is not None:
            for issue in issues:
                issue["code"] = self.code
        return {"resourceType": "OperationOutcome", "issue": issues}


def _nonblank(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def check_practitioner_regul(resource: object) -> list[Problem]:
    """Every way `resource` breaks FrPractitionerRegul or digest §15.3 ([] when it conforms)."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "Practitioner":
        found = resource.get("resourceType") if isinstance(resource, dict) else type(resource)
        return [Problem("Practitioner", f"the body must be a Practitioner, not {found!r}")]
    problems: list[Problem] = []
    meta = resource.get("meta")
    if isinstance(meta, dict) and "source" in meta and meta["source"] != PLATFORM_SOURCE:
        problems.append(
            Problem("Practitioner.meta.source", f"pattern is {PLATFORM_SOURCE} (PTF SAS)")
        )
    problems += _identifier_problems(resource.get("identifier"))
    if not isinstance(resource.get("active"), bool):
        problems.append(Problem("Practitioner.active", "required (1..1), true or false"))
    problems += _name_problems(resource.get("name"))
    problems += _telecom_problems(resource.get("telecom"))
    return problems


def _identifier_problems(identifiers: object) -> list[Problem]:
    if not isinstance(identifiers, list) or not identifiers:
        return [Problem("Practitioner.identifier", "required (1..*)")]
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, identifier in enumerate(identifiers):
        where = f"Practitioner.identifier[{i}]"
        if not isinstance(identifier, dict):
            problems.append(Problem(where, "must be an Identifier"))
            continue
        codings = (
            (identifier.get("type") or {}).get("coding")
            if isinstance(identifier.get("type"), dict)
            else None
        )
        codes = [(c.get("system"), c.get("code")) for c in codings or [] if isinstance(c, dict)]
        if not codes or not all(_nonblank(s) and _nonblank(c) for s, c in codes):
            problems.append(Problem(f"{where}.type", "required (1..1) with a coded system|code"))
        for element in ("system", "value"):
            if not _nonblank(identifier.get(element)):
                problems.append(Problem(f"{where}.{element}", "required (1..1), not empty"))
        system = identifier.get("system")
        if not isinstance(system, str) or system not in SLICES:
            continue
        slice_name, code = SLICES[system]
        seen[slice_name] = seen.get(slice_name, 0) + 1
        if codes and (FR_V2_0203, code) not in codes:
            problems.append(
                Problem(
                    f"{where}.type",
                    f"slice {slice_name} (system {system}) fixes type {FR_V2_0203}#{code}, "
                    f"got {', '.join(f'{s}#{c}' for s, c in codes)}",
                )
            )
    for slice_name, count in seen.items():
        if count > 1:
            problems.append(
                Problem("Practitioner.identifier", f"slice {slice_name} is 0..1, found {count}")
            )
    return problems


def _name_problems(names: object) -> list[Problem]:
    if not isinstance(names, list) or not names:
        return [Problem("Practitioner.name", "required: the regulator's family and given name")]
    problems: list[Problem] = []
    for i, name in enumerate(names):
        where = f"Practitioner.name[{i}]"
        if not isinstance(name, dict):
            problems.append(Problem(where, "must be a HumanName"))
            continue
        if not _nonblank(name.get("family")):
            problems.append(Problem(f"{where}.family", "required (1..1), not empty"))
        given = name.get("given")
        if not isinstance(given, list) or len(given) != 1 or not _nonblank(given[0]):
            problems.append(Problem(f"{where}.given", "exactly one given name (1..1)"))
    return problems


def _telecom_problems(telecoms: object) -> list[Problem]:
    if not isinstance(telecoms, list) or not telecoms:
        return [Problem("Practitioner.telecom", "required: the regulator's e-mail (SAS login)")]
    problems: list[Problem] = []
    for i, telecom in enumerate(telecoms):
        where = f"Practitioner.telecom[{i}]"
        if not isinstance(telecom, dict):
            problems.append(Problem(where, "must be a ContactPoint"))
            continue
        if telecom.get("system") != "email":
            problems.append(Problem(f"{where}.system", "pattern is email"))
        if not _nonblank(telecom.get("value")):
            problems.append(Problem(f"{where}.value", "required (1..1): the e-mail address"))
    return problems


def parse_token(token: str) -> tuple[str, str]:
    """`system|value` of a conditional PUT (digest §7.3); both parts are required."""
    system, bar, value = token.partition("|")
    if not bar or not system or not value:
        raise AccountRejected(
            400,
            [Problem("identifier", f"expected system|value, got {token!r}")],
            code="invalid",
        )
    return system, value


def _identifiers(resource: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (i["system"], i["value"])
        for i in resource.get("identifier", [])
        if isinstance(i, dict) and _nonblank(i.get("system")) and _nonblank(i.get("value"))
    }


def _email(resource: dict[str, Any]) -> str | None:
    for telecom in resource.get("telecom", []):
        if telecom.get("system") == "email" and _nonblank(telecom.get("value")):
            return str(telecom["value"]).strip().lower()
    return None


@dataclass
class Account:
    """One vendor account; `identifiers` are what it can be found by."""

    id: str
    resource: dict[str, Any]
    identifiers: set[tuple[str, str]]
    version: int = 1

    @property
    def active(self) -> bool:
        return self.resource.get("active") is True

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "identifiers": sorted(f"{s}|{v}" for s, v in self.identifiers),
            "active": self.active,
            "email": _email(self.resource),
            "version": self.version,
            "resource": self.resource,
        }


@dataclass(frozen=True)
class Written:
    """The result of a write: which account, and whether it was created."""

    account: Account
    created: bool


@dataclass
class AccountStore:
    """One simulated vendor's regulator accounts, and a log of the writes it was sent."""

    accounts: dict[str, Account] = field(default_factory=dict)
    log: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, method: Literal["POST", "PUT"], query: str | None, status: int) -> None:
        with self._lock:
            self.log.append({"method": method, "identifier": query, "status": status})

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "accounts": [a.as_dict() for a in self.accounts.values()],
                "writes": list(self.log),
            }

    def create(self, resource: dict[str, Any]) -> Written:
        """POST (digest §7.2): refused when an active account has one of its identifiers or
        its e-mail (§7.6)."""
        with self._lock:
            wanted = _identifiers(resource)
            email = _email(resource)
            for account in self.accounts.values():
                if not account.active:
                    continue
                clash = sorted(f"{s}|{v}" for s, v in account.identifiers & wanted)
                if clash:
                    raise AccountRejected(
                        409,
                        [
                            Problem(
                                "Practitioner.identifier",
                                f"account {clash[0]} already exists; "
                                "update it with PUT ?identifier=",
                            )
                        ],
                        code="duplicate",
                    )
                if email is not None and _email(account.resource) == email:
                    raise AccountRejected(
                        409,
                        [
                            Problem(
                                "Practitioner.telecom",
                                f"an account with e-mail {email} "
                                "already exists; update it with PUT ?identifier=",
                            )
                        ],
                        code="duplicate",
                    )
            return Written(self._insert(resource), created=True)

    def put(self, token: tuple[str, str], resource: dict[str, Any]) -> Written:
        """Conditional update (digest §7.3): update, re-key, or create when nothing matches."""
        with self._lock:
            matches = [a for a in self.accounts.values() if token in a.identifiers]
            if not matches:
                wanted = _identifiers(resource)
                matches = [a for a in self.accounts.values() if a.identifiers & wanted]
            if len(matches) > 1:
                raise AccountRejected(
                    412,
                    [
                        Problem(
                            "identifier",
                            f"{token[0]}|{token[1]} matches {len(matches)} "
                            "accounts; a conditional update needs exactly one",
                        )
                    ],
                    code="conflict",
                )
            if not matches:
                return Written(self._insert(resource), created=True)
            [account] = matches
            self._take_identifiers(resource, account)
            account.resource = {**resource, "id": account.id}
            account.identifiers = _identifiers(resource)
            account.version += 1
            return Written(account, created=False)

    def _insert(self, resource: dict[str, Any]) -> Account:
        account_id = str(uuid.uuid4())
        self._take_identifiers(resource, None)
        account = Account(account_id, {**resource, "id": account_id}, _identifiers(resource))
        self.accounts[account_id] = account
        return account

    def _take_identifiers(self, resource: dict[str, Any], owner: Account | None) -> None:
        """Give `resource`'s identifiers to `owner`: an active holder refuses (422), an
        inactive one lets them go (digest §7.4)."""
        wanted = _identifiers(resource)
        for account in self.accounts.values():
            if account is owner:
                continue
            held = account.identifiers & wanted
            if not held:
                continue
            if account.active:
                system, value = sorted(held)[0]
                raise AccountRejected(
                    422,
                    [
                        Problem(
                            "Practitioner.identifier",
                            f"{system}|{value} belongs to another active account ({account.id})",
                        )
                    ],
                    code="business-rule",
                )
            account.identifiers -= held
