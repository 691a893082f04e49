#!/usr/bin/env python3
"""Validates the imp demo data set (institutions.csv, agreements.csv, activities.csv).

Usage: python3 deploy/demo/check_demo.py [DIR]   (DIR defaults to the directory of this script)

Checks file format (UTF-8 without BOM, LF line endings, RFC 4180 quoting, exact header), id patterns,
enumerations, ISO 3166-1 / ISO 3166-2:UA codes, dates, references between the files, that activities are
only recorded under ACTIVE agreements on/after signing, the ILLUSTRATIVE marking of activities and the
absence of obvious personal data. Prints every violation and exits 1 if there is any, else prints a
summary and exits 0. Python 3 standard library only.
"""

import datetime
import os
import re
import sys

INSTITUTION_COLUMNS = ["id", "display_name", "local_name", "short_names", "kind", "country", "region", "city",
                       "website", "notes"]
AGREEMENT_COLUMNS = ["id", "title", "kind", "state", "parties", "signed_on", "valid_from", "valid_until",
                     "signing_event", "cooperation_areas", "cooperation_forms", "funders", "document_uri", "notes"]
ACTIVITY_COLUMNS = ["id", "kind", "title", "agreement", "host_institution", "partner_institutions", "start_date",
                    "end_date", "country", "region", "city", "direction", "cooperation_area", "notes",
                    "format_or_type", "participants", "hours", "operations", "patients", "specialty", "specialists",
                    "purpose", "consultations"]

ID_RE = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
POSITIVE_INT_RE = re.compile(r"^[1-9][0-9]*$")
POSITIVE_NUMBER_RE = re.compile(r"^(?:[1-9][0-9]*(?:\.[0-9]+)?|0\.[0-9]*[1-9][0-9]*)$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
CYRILLIC_RE = re.compile(r"[\u0400-\u04FF]")

INSTITUTION_KINDS = {"HOSPITAL", "UNIVERSITY_HOSPITAL", "MEDICAL_UNIVERSITY", "RESEARCH_INSTITUTE", "GOVERNMENT_BODY",
                     "DEVELOPMENT_AGENCY", "NGO", "PROFESSIONAL_ASSOCIATION", "OTHER"}
AGREEMENT_KINDS = {"TWINNING_MEMORANDUM", "FRAMEWORK_AGREEMENT", "OTHER"}
AGREEMENT_STATES = {"PROPOSED", "ACTIVE", "SUSPENDED", "EXPIRED", "TERMINATED"}
PARTY_ROLES = {"UKRAINIAN_PARTNER", "FOREIGN_PARTNER", "FUNDER", "COORDINATOR"}
COOPERATION_AREAS = {"oncology", "surgery", "reconstructive-plastic-surgery", "mental-health", "palliative-care",
                     "transplantation", "neonatology", "perinatal-care", "rehabilitation", "emergency-care",
                     "telemedicine", "neurology", "psychiatry", "pediatrics", "cardiology", "traumatology",
                     "infectious-diseases", "diagnostics-imaging", "nursing", "hospital-management",
                     "infrastructure-recovery"}
COOPERATION_FORMS = {"FOREIGN_SPECIALISTS_IN_UKRAINE", "INTERNSHIPS_AND_KNOWLEDGE_EXCHANGE",
                     "JOINT_RESEARCH_AND_CONFERENCES", "EDUCATIONAL_EVENTS", "MENTORING_AND_TELEMEDICINE",
                     "JOINT_GRANT_APPLICATIONS", "ANONYMIZED_DATA_EXCHANGE", "JOINT_PUBLICATIONS"}
ACTIVITY_KINDS = {"TRAINING", "OPERATION", "VISIT", "TELEMEDICINE", "EVENT"}
DIRECTIONS = {"TO_UKRAINE", "FROM_UKRAINE", "WITHIN_UKRAINE", "REMOTE"}
PROFESSIONS = {"DOCTOR", "NURSE", "OTHER_HEALTH_WORKER"}
FORMAT_BY_KIND = {
    "TRAINING": {"INTERNSHIP", "COURSE", "TRAINING_WEEK"},
    "VISIT": {"MISSION_TO_UKRAINE", "DELEGATION_ABROAD"},
    "EVENT": {"CONFERENCE", "CONGRESS", "SEMINAR", "OTHER"},
    "OPERATION": set(),
    "TELEMEDICINE": set(),
}
# Kind-specific columns: which must be filled for each kind (all others in this set must be empty).
KIND_SPECIFIC = ["participants", "hours", "operations", "patients", "specialty", "specialists", "purpose",
                 "consultations"]
REQUIRED_BY_KIND = {
    "TRAINING": {"participants", "hours"},
    "EVENT": {"participants"},
    "OPERATION": {"operations", "patients", "specialty"},
    "VISIT": {"specialists", "purpose"},
    "TELEMEDICINE": {"consultations", "patients"},
}

# ISO 3166-1 alpha-2 officially assigned codes (same list as common/api/iso3166.cc).
ISO_COUNTRIES = set((
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR "
    "BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ "
    "EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW "
    "GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY "
    "KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV "
    "MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY "
    "QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG "
    "TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM "
    "ZW").split())
# ISO 3166-2:UA: 24 oblasts, the Autonomous Republic of Crimea, Kyiv and Sevastopol.
UA_REGIONS = {
    "UA-05": "Vinnytsia", "UA-07": "Volyn", "UA-09": "Luhansk", "UA-12": "Dnipropetrovsk", "UA-14": "Donetsk",
    "UA-18": "Zhytomyr", "UA-21": "Zakarpattia", "UA-23": "Zaporizhzhia", "UA-26": "Ivano-Frankivsk",
    "UA-30": "Kyiv (city)", "UA-32": "Kyiv oblast", "UA-35": "Kirovohrad", "UA-40": "Sevastopol (city)",
    "UA-43": "Crimea", "UA-46": "Lviv", "UA-48": "Mykolaiv", "UA-51": "Odesa", "UA-53": "Poltava", "UA-56": "Rivne",
    "UA-59": "Sumy", "UA-61": "Ternopil", "UA-63": "Kharkiv", "UA-65": "Kherson", "UA-68": "Khmelnytskyi",
    "UA-71": "Cherkasy", "UA-74": "Chernihiv", "UA-77": "Chernivtsi",
}
SUBDIVISION_CODE_RE = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")

# Date bounds: the programme's agreements (from 2023) and the demo activity window (2023-10 .. 2025-10).
AGREEMENT_DATE_MIN = datetime.date(2023, 1, 1)
AGREEMENT_DATE_MAX = datetime.date(2025, 12, 31)
ACTIVITY_DATE_MIN = datetime.date(2023, 10, 1)
ACTIVITY_DATE_MAX = datetime.date(2025, 10, 31)

# Heuristics for personal data in any text field.
PERSONAL_DATA_PATTERNS = [
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "e-mail address"),
    (re.compile(r"(?<![\w-])\+\d{1,3}[ ()-]*\d[\d ()-]{6,}\d"), "international phone number"),
    (re.compile(r"\b0\d{2}[ ()-]?\d{3}[ -]?\d{2}[ -]?\d{2}\b"), "phone number"),
    (re.compile(r"\b(?:Dr|Prof|Mr|Mrs|Ms|Sir|Dame)\.?\s+[A-Z][a-z]"), "honorific followed by a name"),
    (re.compile(r"(?:д-р|проф\.|пан|пані)\s+[А-ЯІЇЄҐ][а-яіїєґ']"), "Ukrainian honorific followed by a name"),
    # People named in the seed documents must not appear in the data set.
    (re.compile(r"Liashko|Lyashko|Ляшко|Zelenska|Зеленськ|Veyssi|Dubrov|Дубров", re.IGNORECASE),
     "name of a person from the sources"),
]
ILLUSTRATIVE_PREFIX = "ILLUSTRATIVE:"


def parse_rfc4180(text):
    """Strict RFC 4180 parser (with LF record separators).

    A field is either unquoted (no comma, double quote, CR or LF inside) or enclosed in double quotes, with
    embedded double quotes doubled. Raises ValueError with the line number on any deviation.
    """
    records, record, i, line, n = [], [], 0, 1, len(text)
    if n == 0:
        return records
    while True:
        if i < n and text[i] == '"':
            i += 1
            start_line = line
            value = []
            while True:
                j = text.find('"', i)
                if j < 0:
                    raise ValueError(f"unterminated quoted field starting on line {start_line}")
                chunk = text[i:j]
                value.append(chunk)
                line += chunk.count("\n")
                if j + 1 < n and text[j + 1] == '"':
                    value.append('"')
                    i = j + 2
                    continue
                i = j + 1
                break
            field = "".join(value)
            if i < n and text[i] not in ",\n":
                raise ValueError(f"line {line}: characters after the closing quote of a quoted field")
        else:
            j = i
            while j < n and text[j] not in ",\n":
                if text[j] in '"\r':
                    raise ValueError(f"line {line}: unquoted field contains {text[j]!r}; such fields must be "
                                     "enclosed in double quotes (with quotes doubled)")
                j += 1
            field, i = text[i:j], j
        record.append(field)
        if i >= n:
            records.append(record)
            return records
        if text[i] == ",":
            i += 1
            continue
        # text[i] == "\n": end of record
        records.append(record)
        record = []
        i += 1
        line += 1
        if i >= n:
            return records


class Checker:
    def __init__(self):
        self.errors = []

    def error(self, where, message):
        self.errors.append(f"{where}: {message}")

    # ---- file level -------------------------------------------------------------------------------------------
    def read_csv(self, path, expected_columns):
        name = os.path.basename(path)
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except OSError as e:
            self.error(name, f"cannot read file: {e}")
            return []
        if raw.startswith(b"\xef\xbb\xbf"):
            self.error(name, "starts with a UTF-8 byte order mark (BOM); remove it")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            self.error(name, f"not valid UTF-8: {e}")
            return []
        if "\r" in text:
            self.error(name, "contains CR characters; line endings must be LF only")
        if not text.endswith("\n"):
            self.error(name, "last line must end with LF")
        if text.endswith("\n\n"):
            self.error(name, "blank line(s) at end of file")
        try:
            records = parse_rfc4180(text.lstrip("\ufeff").replace("\r\n", "\n"))
        except ValueError as e:
            self.error(name, f"RFC 4180 parse error: {e}")
            return []
        if not records:
            self.error(name, "empty file (header row expected)")
            return []
        header = records[0]
        if header != expected_columns:
            self.error(name, f"header must be exactly {','.join(expected_columns)}; got {','.join(header)}")
            return []
        rows = []
        for number, record in enumerate(records[1:], start=2):
            where = f"{name} record {number}"
            if record == [] or record == [""]:
                self.error(where, "blank line")
                continue
            if len(record) != len(expected_columns):
                self.error(where, f"has {len(record)} fields, expected {len(expected_columns)}")
                continue
            row = dict(zip(expected_columns, record))
            for column, value in row.items():
                if value != value.strip():
                    self.error(f"{where} ({row.get('id', '?')})", f"{column} has leading/trailing whitespace")
                for pattern, what in PERSONAL_DATA_PATTERNS:
                    if column in ("website", "document_uri") or DATE_RE.match(value):
                        continue
                    if pattern.search(value):
                        self.error(f"{where} ({row.get('id', '?')})",
                                   f"{column} looks like it contains personal data ({what}): {pattern.search(value).group(0)!r}")
            row["_where"] = f"{name} id={row['id']!r} (record {number})"
            rows.append(row)
        if not rows:
            self.error(name, "no data rows")
        return rows

    def check_ids(self, rows):
        seen = set()
        for row in rows:
            if not ID_RE.match(row["id"]):
                self.error(row["_where"], f"id {row['id']!r} does not match {ID_RE.pattern}")
            if row["id"] in seen:
                self.error(row["_where"], f"duplicate id {row['id']!r}")
            seen.add(row["id"])

    def parse_date(self, row, column, required=False, lo=None, hi=None):
        value = row[column]
        if not value:
            if required:
                self.error(row["_where"], f"{column} is required")
            return None
        if not DATE_RE.match(value):
            self.error(row["_where"], f"{column} {value!r} is not YYYY-MM-DD")
            return None
        try:
            date = datetime.date.fromisoformat(value)
        except ValueError:
            self.error(row["_where"], f"{column} {value!r} is not a valid calendar date")
            return None
        if lo and date < lo:
            self.error(row["_where"], f"{column} {value} is before {lo}")
        if hi and date > hi:
            self.error(row["_where"], f"{column} {value} is after {hi}")
        return date

    def split_list(self, row, column, allowed=None, what="value"):
        value = row[column]
        if not value:
            return []
        items = value.split("|")
        for item in items:
            if not item or item != item.strip():
                self.error(row["_where"], f"{column} has an empty or padded item in {value!r}")
            elif allowed is not None and item not in allowed:
                self.error(row["_where"], f"{column}: {item!r} is not a valid {what} (allowed: {', '.join(sorted(allowed))})")
        if len(set(items)) != len(items):
            self.error(row["_where"], f"{column} has duplicate items: {value!r}")
        return items

    def check_location(self, row, country_column="country", region_column="region"):
        country, region = row[country_column], row[region_column]
        if country not in ISO_COUNTRIES:
            self.error(row["_where"], f"{country_column} {country!r} is not an ISO 3166-1 alpha-2 code")
        if country == "UA":
            if region and region not in UA_REGIONS:
                self.error(row["_where"], f"{region_column} {region!r} is not an ISO 3166-2:UA code (e.g. UA-46)")
        elif region.startswith("UA-") or (SUBDIVISION_CODE_RE.match(region) and not region.startswith(country + "-")):
            self.error(row["_where"], f"{region_column} {region!r} does not belong to country {country!r}")

    # ---- institutions -----------------------------------------------------------------------------------------
    def check_institutions(self, rows):
        self.check_ids(rows)
        for row in rows:
            w = row["_where"]
            if not row["display_name"]:
                self.error(w, "display_name is required")
            if row["kind"] not in INSTITUTION_KINDS:
                self.error(w, f"kind {row['kind']!r} not in {sorted(INSTITUTION_KINDS)}")
            self.check_location(row)
            if row["country"] == "UA":
                if not row["region"] and row["kind"] not in ("NGO", "OTHER"):
                    self.error(w, "Ukrainian institution needs an ISO 3166-2:UA region")
                if row["local_name"] and not CYRILLIC_RE.search(row["local_name"]):
                    self.error(w, "local_name of a Ukrainian institution must be in Ukrainian Cyrillic (or empty)")
            if CYRILLIC_RE.search(row["display_name"]):
                self.error(w, "display_name must be in English (Latin script)")
            self.split_list(row, "short_names")
            if row["website"] and not URL_RE.match(row["website"]):
                self.error(w, f"website {row['website']!r} is not an http(s) URL")
            if not row["notes"].startswith("Source:"):
                self.error(w, "notes must start with 'Source:' naming the seed document")

    # ---- agreements -------------------------------------------------------------------------------------------
    def check_agreements(self, rows, institutions):
        self.check_ids(rows)
        for row in rows:
            w = row["_where"]
            if not row["title"]:
                self.error(w, "title is required")
            if row["kind"] not in AGREEMENT_KINDS:
                self.error(w, f"kind {row['kind']!r} not in {sorted(AGREEMENT_KINDS)}")
            if row["state"] not in AGREEMENT_STATES:
                self.error(w, f"state {row['state']!r} not in {sorted(AGREEMENT_STATES)}")
            parties = {}
            for item in self.split_list(row, "parties"):
                if item.count(":") != 1:
                    self.error(w, f"party {item!r} must be institution_id:ROLE")
                    continue
                inst, role = item.split(":")
                if inst not in institutions:
                    self.error(w, f"party {inst!r} is not an id in institutions.csv")
                if role not in PARTY_ROLES:
                    self.error(w, f"party role {role!r} not in {sorted(PARTY_ROLES)}")
                if inst in parties:
                    self.error(w, f"institution {inst!r} appears twice in parties")
                parties[inst] = role
                country = institutions.get(inst, {}).get("country")
                if role == "UKRAINIAN_PARTNER" and country and country != "UA":
                    self.error(w, f"UKRAINIAN_PARTNER {inst!r} is not a Ukrainian institution (country {country})")
                if role == "FOREIGN_PARTNER" and country == "UA":
                    self.error(w, f"FOREIGN_PARTNER {inst!r} is a Ukrainian institution")
            if len(parties) < 2:
                self.error(w, "an agreement needs at least two parties")
            if "UKRAINIAN_PARTNER" not in parties.values():
                self.error(w, "an agreement needs at least one UKRAINIAN_PARTNER")
            if row["kind"] == "TWINNING_MEMORANDUM" and "FOREIGN_PARTNER" not in parties.values():
                self.error(w, "a TWINNING_MEMORANDUM needs at least one FOREIGN_PARTNER")
            row["_parties"] = parties

            signed = self.parse_date(row, "signed_on", lo=AGREEMENT_DATE_MIN, hi=AGREEMENT_DATE_MAX)
            valid_from = self.parse_date(row, "valid_from", lo=AGREEMENT_DATE_MIN)
            valid_until = self.parse_date(row, "valid_until", lo=AGREEMENT_DATE_MIN)
            row["_signed_on"] = signed
            if row["state"] in ("ACTIVE", "SUSPENDED", "EXPIRED", "TERMINATED") and not row["signed_on"]:
                self.error(w, f"signed_on is required for state {row['state']}")
            if row["state"] == "PROPOSED" and row["signed_on"]:
                self.error(w, "a PROPOSED agreement is not signed: signed_on must be empty")
            if row["state"] == "EXPIRED" and not row["valid_until"]:
                self.error(w, "an EXPIRED agreement needs valid_until")
            if valid_from and valid_until and valid_until < valid_from:
                self.error(w, "valid_until is before valid_from")
            if signed and valid_until and valid_until < signed:
                self.error(w, "valid_until is before signed_on")
            if signed and signed > datetime.date.today():
                self.error(w, "signed_on is in the future")

            self.split_list(row, "cooperation_areas", COOPERATION_AREAS, "cooperation area")
            self.split_list(row, "cooperation_forms", COOPERATION_FORMS, "cooperation form")
            self.split_list(row, "funders")
            if row["document_uri"] and not URL_RE.match(row["document_uri"]):
                self.error(w, f"document_uri {row['document_uri']!r} is not an http(s) URL")
            if not row["notes"].startswith("Source:"):
                self.error(w, "notes must start with 'Source:' naming the seed document")

    # ---- activities -------------------------------------------------------------------------------------------
    def check_activities(self, rows, institutions, agreements):
        self.check_ids(rows)
        for row in rows:
            w = row["_where"]
            kind = row["kind"]
            if kind not in ACTIVITY_KINDS:
                self.error(w, f"kind {kind!r} not in {sorted(ACTIVITY_KINDS)}")
            if not row["title"]:
                self.error(w, "title is required")
            if not row["notes"].startswith(ILLUSTRATIVE_PREFIX):
                self.error(w, f"notes must start with {ILLUSTRATIVE_PREFIX!r} (all activity records are illustrative)")

            host = row["host_institution"]
            if not host:
                self.error(w, "host_institution is required")
            elif host not in institutions:
                self.error(w, f"host_institution {host!r} is not an id in institutions.csv")
            partners = self.split_list(row, "partner_institutions")
            for p in partners:
                if p not in institutions:
                    self.error(w, f"partner {p!r} is not an id in institutions.csv")
                if p == host:
                    self.error(w, f"partner {p!r} is also the host")

            start = self.parse_date(row, "start_date", required=True, lo=ACTIVITY_DATE_MIN, hi=ACTIVITY_DATE_MAX)
            end = self.parse_date(row, "end_date", lo=ACTIVITY_DATE_MIN, hi=ACTIVITY_DATE_MAX)
            if start and end and end < start:
                self.error(w, "end_date is before start_date")

            agreement_id = row["agreement"]
            if agreement_id:
                agreement = agreements.get(agreement_id)
                if agreement is None:
                    self.error(w, f"agreement {agreement_id!r} is not an id in agreements.csv")
                else:
                    if agreement["state"] != "ACTIVE":
                        self.error(w, f"agreement {agreement_id!r} is {agreement['state']}; activities may only be "
                                      "recorded under ACTIVE agreements")
                    signed = agreement.get("_signed_on")
                    if start and signed and start < signed:
                        self.error(w, f"start_date {start} is before the agreement was signed ({signed})")
                    parties = agreement.get("_parties", {})
                    involved = {host, *partners}
                    if not (involved & set(parties)) and "moh-ukraine" not in parties:
                        self.error(w, f"neither host nor partners are parties of agreement {agreement_id!r}")

            self.check_location(row)
            direction = row["direction"]
            if direction not in DIRECTIONS:
                self.error(w, f"direction {direction!r} not in {sorted(DIRECTIONS)}")
            elif direction in ("TO_UKRAINE", "WITHIN_UKRAINE") and row["country"] != "UA":
                self.error(w, f"direction {direction} requires country UA, got {row['country']!r}")
            elif direction == "FROM_UKRAINE" and row["country"] == "UA":
                self.error(w, "direction FROM_UKRAINE requires a country other than UA")
            if row["cooperation_area"] not in COOPERATION_AREAS:
                self.error(w, f"cooperation_area {row['cooperation_area']!r} is not one code of the list")

            if kind not in ACTIVITY_KINDS:
                continue
            allowed_formats = FORMAT_BY_KIND[kind]
            if allowed_formats:
                if row["format_or_type"] not in allowed_formats:
                    self.error(w, f"format_or_type {row['format_or_type']!r} must be one of {sorted(allowed_formats)} for {kind}")
            elif row["format_or_type"]:
                self.error(w, f"format_or_type must be empty for {kind}")
            required = REQUIRED_BY_KIND[kind]
            for column in KIND_SPECIFIC:
                if column in required and not row[column]:
                    self.error(w, f"{column} is required for {kind}")
                if column not in required and row[column]:
                    self.error(w, f"{column} must be empty for {kind}")
            for column in ("operations", "patients", "specialists", "consultations"):
                if row[column] and not POSITIVE_INT_RE.match(row[column]):
                    self.error(w, f"{column} {row[column]!r} must be a positive integer")
            if row["hours"] and not POSITIVE_NUMBER_RE.match(row["hours"]):
                self.error(w, f"hours {row['hours']!r} must be a positive number")
            if kind == "OPERATION" and POSITIVE_INT_RE.match(row["operations"]) and POSITIVE_INT_RE.match(row["patients"]):
                if int(row["patients"]) > int(row["operations"]):
                    self.error(w, "patients exceeds operations")
            if kind == "TELEMEDICINE" and POSITIVE_INT_RE.match(row["consultations"]) and POSITIVE_INT_RE.match(row["patients"]):
                if int(row["patients"]) > int(row["consultations"]):
                    self.error(w, "patients exceeds consultations")
            if kind == "VISIT":
                fmt = row["format_or_type"]
                if fmt == "MISSION_TO_UKRAINE" and direction != "TO_UKRAINE":
                    self.error(w, "a MISSION_TO_UKRAINE must have direction TO_UKRAINE")
                if fmt == "DELEGATION_ABROAD" and direction != "FROM_UKRAINE":
                    self.error(w, "a DELEGATION_ABROAD must have direction FROM_UKRAINE")
            if row["participants"]:
                seen = set()
                for group in row["participants"].split("|"):
                    parts = group.split(":")
                    if len(parts) != 3:
                        self.error(w, f"participants group {group!r} must be institution_id:PROFESSION:headcount")
                        continue
                    inst, profession, count = parts
                    if inst not in institutions:
                        self.error(w, f"participants: {inst!r} is not an id in institutions.csv")
                    if profession not in PROFESSIONS:
                        self.error(w, f"participants: profession {profession!r} not in {sorted(PROFESSIONS)}")
                    if not POSITIVE_INT_RE.match(count):
                        self.error(w, f"participants: headcount {count!r} must be a positive integer")
                    if (inst, profession) in seen:
                        self.error(w, f"participants: duplicate group {inst}:{profession}")
                    seen.add((inst, profession))


def summary(institutions, agreements, activities):
    kinds = {}
    for row in activities:
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
    trained = sum(int(g.split(":")[2]) for r in activities if r["kind"] == "TRAINING"
                  for g in r["participants"].split("|"))
    operations = sum(int(r["operations"]) for r in activities if r["kind"] == "OPERATION")
    patients = sum(int(r["patients"]) for r in activities if r["patients"])
    states = {}
    for row in agreements:
        states[row["state"]] = states.get(row["state"], 0) + 1
    return (f"OK: {len(institutions)} institutions, {len(agreements)} agreements "
            f"({', '.join(f'{k} {v}' for k, v in sorted(states.items()))}), {len(activities)} activities "
            f"({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}).\n"
            f"Illustrative totals: {trained} health workers in trainings, {operations} operations, "
            f"{patients} patients (operations + telemedicine), {kinds.get('VISIT', 0)} visits.")


def main(argv):
    directory = argv[1] if len(argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    checker = Checker()
    institutions = checker.read_csv(os.path.join(directory, "institutions.csv"), INSTITUTION_COLUMNS)
    agreements = checker.read_csv(os.path.join(directory, "agreements.csv"), AGREEMENT_COLUMNS)
    activities = checker.read_csv(os.path.join(directory, "activities.csv"), ACTIVITY_COLUMNS)
    checker.check_institutions(institutions)
    institutions_by_id = {r["id"]: r for r in institutions}
    checker.check_agreements(agreements, institutions_by_id)
    agreements_by_id = {r["id"]: r for r in agreements}
    checker.check_activities(activities, institutions_by_id, agreements_by_id)
    if checker.errors:
        print(f"check_demo: {len(checker.errors)} violation(s):", file=sys.stderr)
        for e in checker.errors:
            print(f"  - {e}", file=sys.stderr)
        return 1
    print(summary(institutions, agreements, activities))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
