"""Every check of `sas conformance`: its id, what it checks, the modes it applies to and the FAQ
entry its failures match. docs/conformance.md lists the same ids (a test keeps them in step).

The FAQ entries are those of the IG's FAQ page and, tagged [TK], the checks of ANS's test kit, as
digest §2–§8 and §15 report them: the mistakes vendors make again and again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sas_core.conformance.models import MODES, Mode

FAQ_PREFIXES = "préfixes des identifiants — 8 RPPS, 0 ADELI, 1 FINESS, 3 SIRET, 4 cabinet (§3)"
FAQ_OID = "un OID s'écrit urn:oid:… dans identifier.system (§3)"
FAQ_PHONE = "téléphones normalisés au format +33… (§3)"
FAQ_EMPTY = 'éléments vides : les omettre, jamais "", [] ou {} (§4.3, §15.2)'
FAQ_SPECIALTY = "spécialité : code TRE_R38 dans coding.code, libellé dans text (§4.4, §16.9)"
FAQ_CANONICAL = "URL canoniques mêlées : http://sas.fr/… et https://interop.esante.gouv.fr/… (§14)"
FAQ_PROFILE = "meta.profile renseigné sur chaque ressource, exigé par les validateurs (§2)"
FAQ_MULTI_PLACE = "PS multi-lieux : 1 Practitioner, N PractitionerRole, N Schedule (§4.3)"
FAQ_REFERENCES = "références résolues dans le Bundle, chaque ressource incluse une fois (§4.3)"
FAQ_CPTS = "créneau visible par plusieurs CPTS : un serviceType 604 par CPTS (§5.2)"
FAQ_EMPTY_RESULT = "aucun créneau : 200, Bundle total 0 sans entry (§4.3)"
FAQ_BOOKING_URL = "URL de prise de rendez-vous dans Slot.comment (§4.4, §16.10)"
FAQ_SLOT_TYPES = "types de créneaux : meta.security TRE_R314 (§4.5)"
FAQ_DATES = "[TK] dates YYYY-MM-DDThh:mm:ss.sss±hh:mm, dans la fenêtre demandée (§4.4)"
FAQ_SELF_LINK = "[TK] lien self reprenant les paramètres de la requête (§4.3)"
FAQ_ERRORS = "erreurs : 4xx avec un OperationOutcome (§2, §15.1)"
FAQ_PERFORMANCE = "[TK] recherche sur un RPPS en moins d'une seconde (§12)"
FAQ_TLS = "[TK] mTLS IGC-Santé, TLS ≥ 1.2, CN et OU contrôlés (§2, §15.1)"
FAQ_ACCOUNTS = "comptes régulateurs : création, mise à jour, PUT-as-create (§7)"
FAQ_REKEY = "changement d'identifiant d'un compte régulateur (§7.3)"
FAQ_WITHDRAWAL = "déshabilitation : PUT avec active = false (§7.4)"
FAQ_ACCOUNT_REJECTS = "[TK] rejets attendus : identifier, name, telecom, active manquants (§7.6)"
FAQ_DUPLICATES = "[TK] doublon : un POST d'un compte existant échoue (§7.6)"
FAQ_SSO = "[TK] parcours régulateur : origin présent ou absent (§8)"
FAQ_CAPABILITY = "CapabilityStatement du gestionnaire d'agenda (§1)"
FAQ_IDNST_TYPE = "type de l'IDNST selon la ressource et la version de l'IG (§3, §16.3)"
FAQ_APPOINTMENT = "rendez-vous FrAppointmentSAS / sas-sos-appointment (§9, §15.4)"
FAQ_TRANSPORT = "point d'accès joignable, réponses FHIR JSON (§2)"

_ALL: frozenset[Mode] = frozenset(MODES)
_SLOTS: frozenset[Mode] = frozenset({"ps", "cpts"})
_CPTS: frozenset[Mode] = frozenset({"cpts"})


@dataclass(frozen=True, slots=True)
class CheckInfo:
    id: str
    title: str
    faq: str
    modes: frozenset[Mode] = _ALL


CHECKS: tuple[CheckInfo, ...] = (
    CheckInfo("CAP-01", "CapabilityStatement at [base]/metadata", FAQ_CAPABILITY),
    CheckInfo("CAP-02", "CapabilityStatement declares the mode's searches", FAQ_CAPABILITY),
    CheckInfo("TLS-01", "TLS 1.2 or later negotiated", FAQ_TLS),
    CheckInfo("TLS-02", "TLS below 1.2 refused", FAQ_TLS),
    CheckInfo("TLS-03", "connection without a client certificate refused", FAQ_TLS),
    CheckInfo("TLS-04", "client certificate with a wrong CN refused", FAQ_TLS),
    CheckInfo("TLS-05", "client certificate with a wrong OU refused", FAQ_TLS),
    CheckInfo("TLS-06", "revoked client certificate refused", FAQ_TLS),
    CheckInfo("SRCH-01", "search answers a searchset Bundle (type, total, fullUrl)", FAQ_TRANSPORT),
    CheckInfo("SRCH-02", "self link echoes the request", FAQ_SELF_LINK),
    CheckInfo("SRCH-03", "references resolve inside the Bundle", FAQ_REFERENCES),
    CheckInfo("SRCH-04", "cardinalities of Schedule, PractitionerRole, Location", FAQ_REFERENCES),
    CheckInfo("SRCH-05", "unknown identifier: 200 with total 0", FAQ_EMPTY_RESULT),
    CheckInfo("SCN-01", "practitioner with two places", FAQ_MULTI_PLACE, _SLOTS),
    CheckInfo("SCN-02", "several practitioners in one search", FAQ_MULTI_PLACE, _SLOTS),
    CheckInfo("SCN-03", "one slot visible to two CPTS", FAQ_CPTS, _CPTS),
    CheckInfo("SCN-04", "CPTS-only slots offered through two CPTS", FAQ_CPTS, _CPTS),
    CheckInfo(
        "SCN-05", "SOS association with its sites and slots", FAQ_REFERENCES, frozenset({"sos"})
    ),
    CheckInfo("PROF-01", "meta.profile on every resource, the exact canonical", FAQ_PROFILE),
    CheckInfo(
        "PROF-02", "canonical URLs not mixed up (http://sas.fr vs https://interop…)", FAQ_CANONICAL
    ),
    CheckInfo("ID-01", "identifiers typed, urn:oid: systems, prefixed values", FAQ_PREFIXES),
    CheckInfo("ID-02", "IDNST type of the IG version declared", FAQ_IDNST_TYPE),
    CheckInfo("TEL-01", "phone numbers in +33… form", FAQ_PHONE),
    CheckInfo("SPEC-01", "specialty: code in coding, label in text", FAQ_SPECIALTY),
    CheckInfo("EMPTY-01", "no empty elements", FAQ_EMPTY),
    CheckInfo("SLOT-01", "slot status, types, consultation and appointment types", FAQ_SLOT_TYPES),
    CheckInfo("DATE-01", "slot dates: format, order, inside the window, not past", FAQ_DATES),
    CheckInfo("URL-01", "every slot carries a booking URL", FAQ_BOOKING_URL),
    CheckInfo("ERR-01", "search without its bounds: 4xx with an OperationOutcome", FAQ_ERRORS),
    CheckInfo("ERR-02", "search with a wrong comparator: 4xx with an OperationOutcome", FAQ_ERRORS),
    CheckInfo("ERR-03", "search with a wrong identifier system: 4xx OperationOutcome", FAQ_ERRORS),
    CheckInfo(
        "PERF-01", "72-hour search for one identifier answered in under 1 s", FAQ_PERFORMANCE
    ),
    CheckInfo("ACC-01", "regulator account created: 201 and Location", FAQ_ACCOUNTS),
    CheckInfo("ACC-02", "regulator account updated: 200", FAQ_ACCOUNTS),
    CheckInfo("ACC-03", "PUT on an unknown identifier creates (PUT-as-create)", FAQ_ACCOUNTS),
    CheckInfo("ACC-04", "withdrawal (active = false) accepted", FAQ_WITHDRAWAL),
    CheckInfo("ACC-05", "re-keying: SAS UUID replaced by the national id", FAQ_REKEY),
    CheckInfo("ACC-06", "invalid or missing fields refused with 4xx", FAQ_ACCOUNT_REJECTS),
    CheckInfo("ACC-07", "duplicate account refused", FAQ_DUPLICATES),
    CheckInfo("SSO-01", "booking URL without origin: access not granted", FAQ_SSO),
    CheckInfo("SSO-02", "booking URL with origin: sent to the platform's login", FAQ_SSO),
)

BY_ID: dict[str, CheckInfo] = {c.id: c for c in CHECKS}
