"""The codes the offer directory speaks: TRE_R38 specialties, TRE_G15 professions.

IG digest §4.4/§13: `Practitioner.specialty` and `Slot.specialty` carry TRE_R38
(SpecialiteOrdinale) codes, e.g. SM54 médecine générale; the LRM's `professionCode` is TRE_G15
(10 médecin). Only an excerpt ships here (the ordinal medical specialties SM01–SM54 and the
professions the SAS offers, digest §3.7's allow-list): enough to validate what a regulator
types. A code an imported file carries is kept even when it is not in the excerpt, and the
directory then knows it too (see `OfferDirectory.check_specialty`).
"""

from __future__ import annotations

import re
import unicodedata

TRE_R38_SYSTEM = (
    "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale"
)
TRE_G15_SYSTEM = (
    "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante"
)

GENERAL_PRACTICE = "SM54"

#: TRE_R38 ordinal specialties of médecins (excerpt).
SPECIALTIES: dict[str, str] = {
    "SM01": "Anatomie et cytologie pathologiques",
    "SM02": "Anesthésie-réanimation",
    "SM03": "Biologie médicale",
    "SM04": "Cardiologie et maladies vasculaires",
    "SM05": "Chirurgie générale",
    "SM06": "Chirurgie maxillo-faciale",
    "SM07": "Chirurgie maxillo-faciale et stomatologie",
    "SM08": "Chirurgie orthopédique et traumatologie",
    "SM09": "Chirurgie infantile",
    "SM10": "Chirurgie plastique reconstructrice et esthétique",
    "SM11": "Chirurgie thoracique et cardio-vasculaire",
    "SM12": "Chirurgie urologique",
    "SM13": "Chirurgie vasculaire",
    "SM14": "Chirurgie viscérale et digestive",
    "SM15": "Dermatologie et vénéréologie",
    "SM16": "Endocrinologie et métabolisme",
    "SM17": "Génétique médicale",
    "SM18": "Gériatrie",
    "SM19": "Gynécologie médicale",
    "SM20": "Gynécologie-obstétrique",
    "SM21": "Hématologie",
    "SM24": "Gastro-entérologie et hépatologie",
    "SM25": "Médecine du travail",
    "SM26": "Qualifié en médecine générale",
    "SM27": "Médecine interne",
    "SM28": "Médecine nucléaire",
    "SM29": "Médecine physique et réadaptation",
    "SM30": "Néphrologie",
    "SM31": "Neurochirurgie",
    "SM32": "Neurologie",
    "SM33": "Neuropsychiatrie",
    "SM34": "ORL et chirurgie cervico-faciale",
    "SM35": "Oncologie option médicale",
    "SM37": "Ophtalmologie",
    "SM40": "Pédiatrie",
    "SM41": "Pneumologie",
    "SM42": "Psychiatrie",
    "SM43": "Psychiatrie de l'enfant et de l'adolescent",
    "SM44": "Radiodiagnostic et imagerie médicale",
    "SM48": "Rhumatologie",
    "SM49": "Santé publique et médecine sociale",
    "SM50": "Stomatologie",
    "SM53": "Spécialiste en médecine générale",
    "SM54": "Médecine générale",
}

#: TRE_G15 professions the SAS offers (digest §3.7: GPs and specialists, dentists, midwives,
#: nurses, physiotherapists); the import skips the other professions of the national file.
PROFESSIONS: dict[str, str] = {
    "10": "Médecin",
    "40": "Chirurgien-dentiste",
    "50": "Sage-femme",
    "60": "Infirmier",
    "70": "Masseur-kinésithérapeute",
}
MEDECIN = "10"

#: The shape of a TRE_R38 code, to tell a typo ("SM5") from a code of a newer nomenclature.
SPECIALTY_CODE = re.compile(r"S[A-Z][0-9]{2,3}")


def _folded(text: str) -> str:
    """`text` without accents, case, apostrophes, hyphens or repeated spaces."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[-'’]", " ", bare).casefold().split())


_BY_LABEL = {_folded(label): code for code, label in SPECIALTIES.items()}


def specialty_code(text: str) -> str | None:
    """The TRE_R38 code a regulator typed: a code (`SM54`) or the label, accents and case
    ignored (`medecine generale`, `PÉDIATRIE`); None when it is neither. A well-formed code
    outside the excerpt is returned as is: the directory decides whether it knows it."""
    given = text.strip()
    if SPECIALTY_CODE.fullmatch(given.upper()):
        return given.upper()
    return _BY_LABEL.get(_folded(given))
