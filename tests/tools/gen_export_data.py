"""Random institutions, agreements and activities for the export tests, in the deploy/demo CSV
formats: every lifecycle state, random cooperation areas, forms, funders, dates and counts, and
text that needs escaping (& < > " ' and Cyrillic). The same seed gives the same files.

usage: gen_export_data.py OUTDIR --seed N --institutions N --agreements N --activities N
       [--projects N] [--funders N --funder_bytes N] [--title_bytes N] [--tag WORD]

Activities reference ACTIVE agreements only (the activity service refuses others), hosted by one
of the agreement's parties. --funders/--funder_bytes make agreements large (for the memory
test), --title_bytes long activity titles; --tag puts WORD in the titles of the first tenth of the agreements (a title search then
selects them; the first tenth of the projects too). --projects writes projects.csv (docs/design/h-projpub.md's format): random
statuses, dates, participants, sites, budgets in several currencies with and without periods,
transactions between the participants and deliverables (some delivered beyond plan), with
Unicode and XML-special titles.
"""
import json
import argparse
import csv
import datetime
import os
import random

AREAS = ["oncology", "surgery", "reconstructive-plastic-surgery", "mental-health",
         "palliative-care", "transplantation", "neonatology", "perinatal-care", "rehabilitation",
         "emergency-care", "telemedicine", "neurology", "psychiatry", "pediatrics", "cardiology",
         "traumatology", "infectious-diseases", "diagnostics-imaging", "nursing",
         "hospital-management", "infrastructure-recovery"]
FORMS = ["FOREIGN_SPECIALISTS_IN_UKRAINE", "INTERNSHIPS_AND_KNOWLEDGE_EXCHANGE",
         "JOINT_RESEARCH_AND_CONFERENCES", "EDUCATIONAL_EVENTS", "MENTORING_AND_TELEMEDICINE",
         "JOINT_GRANT_APPLICATIONS", "ANONYMIZED_DATA_EXCHANGE", "JOINT_PUBLICATIONS"]
KINDS = ["HOSPITAL", "UNIVERSITY_HOSPITAL", "MEDICAL_UNIVERSITY", "RESEARCH_INSTITUTE",
         "GOVERNMENT_BODY", "DEVELOPMENT_AGENCY", "NGO", "PROFESSIONAL_ASSOCIATION", "OTHER"]
OBLASTS = ["UA-05", "UA-07", "UA-09", "UA-12", "UA-14", "UA-18", "UA-21", "UA-23", "UA-26",
           "UA-30", "UA-32", "UA-35", "UA-43", "UA-46", "UA-48", "UA-51", "UA-53", "UA-56",
           "UA-59", "UA-61", "UA-63", "UA-65", "UA-68", "UA-71", "UA-74", "UA-77"]
ABROAD = [("FR", "Île-de-France"), ("DE", "Bayern"), ("PL", "Mazowieckie"), ("LT", "Kaunas"),
          ("GB", "England"), ("CA", "Ontario"), ("US", "Illinois"), ("SE", "Stockholm"),
          ("IL", ""), ("MD", "Chișinău")]
STATES = ["PROPOSED", "ACTIVE", "ACTIVE", "ACTIVE", "SUSPENDED", "EXPIRED", "TERMINATED"]
WORDS = ["Regional", "Clinical", "Children's", "City", "Perinatal", "Cancer", "Heart", "St. Mary"]


def day(rng, start, end):
    return start + datetime.timedelta(days=rng.randrange((end - start).days + 1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--institutions", type=int, required=True)
    p.add_argument("--agreements", type=int, required=True)
    p.add_argument("--activities", type=int, required=True)
    p.add_argument("--projects", type=int, default=0)
    p.add_argument("--funders", type=int, default=2)
    p.add_argument("--funder_bytes", type=int, default=40)
    p.add_argument("--title_bytes", type=int, default=0)
    p.add_argument("--tag", default="")
    a = p.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    w = lambda name: csv.writer(open(os.path.join(a.out, name), "w", encoding="utf-8", newline=""),
                                lineterminator="\n")

    institutions = []
    out = w("institutions.csv")
    out.writerow(["id", "display_name", "local_name", "short_names", "kind", "country", "region",
                  "city", "website", "notes"])
    for i in range(a.institutions):
        ua = i % 2 == 0
        country, region = ("UA", rng.choice(OBLASTS)) if ua else rng.choice(ABROAD)
        iid = f"inst-{i:05d}"
        name = f"{rng.choice(WORDS)} Hospital No. {i} & Partners <\"{i % 7}\">"
        local = f"Лікарня № {i} «Здоров'я»" if ua else ""
        institutions.append((iid, country))
        out.writerow([iid, name, local, "", rng.choice(KINDS), country, region, "", "",
                      "ILLUSTRATIVE: random test data"])
    ua_ids = [i for i, c in institutions if c == "UA"]
    foreign_ids = [i for i, c in institutions if c != "UA"]

    active = []  # (agreement id, parties)
    out = w("agreements.csv")
    out.writerow(["id", "title", "kind", "state", "parties", "signed_on", "valid_from",
                  "valid_until", "signing_event", "cooperation_areas", "cooperation_forms",
                  "funders", "document_uri", "notes"])
    for i in range(a.agreements):
        aid = f"agr-{i:05d}"
        state = rng.choice(STATES)
        parties = [(rng.choice(ua_ids), "UKRAINIAN_PARTNER")]
        for pid in rng.sample(foreign_ids, rng.randint(1, 3)):
            parties.append((pid, rng.choice(["FOREIGN_PARTNER", "FOREIGN_PARTNER", "FUNDER",
                                              "COORDINATOR"])))
        signed = valid_from = valid_until = ""
        never_signed = state == "PROPOSED" or (state == "TERMINATED" and rng.random() < 0.3)
        if not never_signed:
            s = day(rng, datetime.date(2023, 9, 1), datetime.date(2026, 10, 1))
            signed = s.isoformat()
            if rng.random() < 0.3:
                valid_from = (s + datetime.timedelta(days=rng.randrange(0, 400))).isoformat()
            if rng.random() < 0.5:
                base = datetime.date.fromisoformat(valid_from or signed)
                valid_until = (base + datetime.timedelta(days=rng.randrange(30, 1500))).isoformat()
        elif rng.random() < 0.3:
            valid_from = day(rng, datetime.date(2026, 1, 1), datetime.date(2027, 12, 31)).isoformat()
        tag = f" {a.tag}" if a.tag and i < a.agreements // 10 else ""
        title = f"Partnership {i}{tag}: \"{rng.choice(WORDS)}\" & <twins> — співпраця"
        funders = "|".join(f"Fund {j} " + "x" * a.funder_bytes for j in range(
            rng.randint(0, a.funders)))
        uri = rng.choice(["", f"https://example.org/docs/{aid}.pdf",
                          f"https://example.org/agreements/{aid}?lang=en&v=1"])
        out.writerow([aid, title, rng.choice(["TWINNING_MEMORANDUM", "FRAMEWORK_AGREEMENT",
                                              "OTHER"]), state,
                      "|".join(f"{pid}:{role}" for pid, role in parties), signed, valid_from,
                      valid_until, rng.choice(["", "Forum, Kyiv"]),
                      "|".join(rng.sample(AREAS, rng.randint(0, 4))),
                      "|".join(rng.sample(FORMS, rng.randint(0, 3))), funders, uri,
                      "ILLUSTRATIVE: random test data"])
        if state == "ACTIVE":
            active.append((aid, [pid for pid, _ in parties]))

    out = w("activities.csv")
    out.writerow(["id", "kind", "title", "agreement", "host_institution", "partner_institutions",
                  "start_date", "end_date", "country", "region", "city", "direction",
                  "cooperation_area", "notes", "format_or_type", "participants", "hours",
                  "operations", "patients", "specialty", "specialists", "purpose",
                  "consultations"])
    country_of = dict(institutions)
    region_of = {}
    for i in range(a.activities):
        agreement, parties = rng.choice(active) if active else ("", [rng.choice(ua_ids)])
        host = rng.choice(parties)
        partners = [q for q in parties if q != host][:2]
        kind = rng.choice(["TRAINING", "OPERATION", "VISIT", "TELEMEDICINE", "EVENT"])
        start = day(rng, datetime.date(2023, 10, 1), datetime.date(2026, 6, 30))
        end = start + datetime.timedelta(days=rng.randrange(0, 10))
        country = country_of[host]
        region = region_of.setdefault(host, rng.choice(OBLASTS)) if country == "UA" else ""
        row = {k: "" for k in ["format_or_type", "participants", "hours", "operations",
                               "patients", "specialty", "specialists", "purpose", "consultations"]}
        if kind in ("TRAINING", "EVENT"):
            row["format_or_type"] = rng.choice(["INTERNSHIP", "COURSE", "TRAINING_WEEK"]) \
                if kind == "TRAINING" else rng.choice(["CONFERENCE", "CONGRESS", "SEMINAR"])
            groups = [f"{rng.choice(parties)}:{prof}:{rng.randint(1, 40)}"
                      for prof in rng.sample(["DOCTOR", "NURSE", "OTHER_HEALTH_WORKER"],
                                             rng.randint(1, 3))]
            row["participants"] = "|".join(groups)
        elif kind == "OPERATION":
            row["operations"], row["patients"] = rng.randint(1, 30), rng.randint(0, 30)
        elif kind == "VISIT":
            row["format_or_type"] = rng.choice(["MISSION_TO_UKRAINE", "DELEGATION_ABROAD"])
            row["specialists"] = rng.randint(1, 12)
        else:
            row["consultations"], row["patients"] = rng.randint(1, 50), rng.randint(0, 50)
        out.writerow([f"act-{i:06d}", kind, f"Activity {i} =SUM(A1) & <{kind.lower()}>" + "y" * a.title_bytes,
                      agreement, host, "|".join(partners), start.isoformat(), end.isoformat(),
                      country, region, "", rng.choice(["TO_UKRAINE", "FROM_UKRAINE", "REMOTE"]),
                      rng.choice(AREAS + [""]), "ILLUSTRATIVE: random test data",
                      row["format_or_type"], row["participants"], row["hours"],
                      row["operations"], row["patients"], row["specialty"], row["specialists"],
                      row["purpose"], row["consultations"]])

    if a.projects:
        write_projects(rng, w("projects.csv"), a.projects, [i for i, _ in institutions],
                       [f"agr-{i:05d}" for i in range(a.agreements)], ua_ids, a.tag)


CURRENCIES = ["EUR", "UAH", "USD", "GBP", "PLN", "CHF"]
PROJECT_STATUSES = ["IDENTIFICATION", "IMPLEMENTATION", "FINALISATION", "CLOSED", "CANCELLED",
                    "SUSPENDED"]
ROLES = ["FUNDING", "ACCOUNTABLE", "EXTENDING", "IMPLEMENTING"]
TEXTS = ["Модульна лікарня «Надія»", "Beds & <monitors> \"ICU\"", "Île-de-France — ½ share",
         "=HYPERLINK(\"x\")", "Mammographs | kind: digital", "👩‍⚕️ care, line\nbreak"]
# For single-line fields (titles, what a deliverable is): the services refuse line breaks there.
# As many texts as TEXTS, so the random choices that follow stay the same.
LINE_TEXTS = TEXTS[:-1] + ["👩‍⚕️ care, one line"]


def amount(rng):
    units = rng.choice([rng.randrange(0, 1000), rng.randrange(0, 10**7), rng.randrange(0, 10**13)])
    nanos = rng.choice([0, 0, 500000000, rng.randrange(1, 10**9)])
    return units, nanos


def amount_text(units, nanos):
    return f"{units}.{nanos:09d}".rstrip("0") if nanos else str(units)


def json_date(d):
    return {"year": d.year, "month": d.month, "day": d.day}


def write_projects(rng, out, n, institution_ids, agreement_ids, ua_ids, tag):
    out.writerow(["id", "title", "local_title", "description", "local_description", "status",
                  "agreements", "participants", "planned_start", "planned_end", "actual_start",
                  "actual_end", "cooperation_areas", "locations", "budget", "transactions",
                  "deliverables", "notes"])
    past = (datetime.date(2023, 10, 1), datetime.date(2026, 10, 31))
    for i in range(n):
        participants = []
        for inst in rng.sample(institution_ids, rng.randint(0, 4)):
            for role in rng.sample(ROLES, rng.randint(1, 2)):
                participants.append((inst, role))
        parties = sorted({inst for inst, _ in participants})
        planned_start = planned_end = actual_start = actual_end = ""
        if rng.random() < 0.7:
            s = day(rng, datetime.date(2023, 1, 1), datetime.date(2027, 6, 30))
            planned_start = s.isoformat()
            planned_end = (s + datetime.timedelta(days=rng.randrange(30, 1500))).isoformat()
        if rng.random() < 0.5:
            s = day(rng, *past)
            actual_start = s.isoformat()
            if rng.random() < 0.3:
                actual_end = day(rng, s, past[1]).isoformat()
        locations = []
        for _ in range(rng.randint(0, 3)):
            kind = rng.random()
            if kind < 0.4:
                locations.append(f"UA:{rng.choice(OBLASTS)}")
            elif kind < 0.7:
                locations.append(f"UA::{rng.choice(ua_ids)}")
            elif kind < 0.85:
                locations.append("UA")
            else:
                locations.append(rng.choice(["PL", "FR", "DE"]))
        budget = []
        for _ in range(rng.randint(0, 4)):
            units, nanos = amount(rng)
            line = f"{rng.choice(['INDICATIVE', 'COMMITTED'])}:{amount_text(units, nanos)} {rng.choice(CURRENCIES)}"
            if rng.random() < 0.6:
                y = rng.randint(2023, 2027)
                line += f":{y}-01-01:{y}-12-31"
            budget.append(line)
        transactions = []
        if parties:
            for _ in range(rng.randint(0, 5)):
                units, nanos = amount(rng)
                t = {"kind": rng.choice(["KIND_COMMITMENT", "KIND_DISBURSEMENT", "KIND_EXPENDITURE"]),
                     "date": json_date(day(rng, *past)),
                     "amount": {"currency_code": rng.choice(CURRENCIES), "units": str(units)},
                     "provider": "institutions/" + rng.choice(parties),
                     "receiver": "institutions/" + rng.choice(parties)}
                if nanos:
                    t["amount"]["nanos"] = nanos
                if rng.random() < 0.5:
                    t["description"] = rng.choice(TEXTS)
                transactions.append(t)
        deliverables = []
        for _ in range(rng.randint(0, 3)):
            planned = rng.randint(0, 500)
            over = rng.random() < 0.2
            deliveries, left = [], planned
            for _ in range(rng.randint(0, 3)):
                q = rng.randint(1, 100) if over else (rng.randint(1, left) if left else 0)
                if not q:
                    break
                left -= q
                d = {"date": json_date(day(rng, *past)), "quantity": str(q)}
                if rng.random() < 0.5:
                    d["notes"] = rng.choice(TEXTS)
                deliveries.append(d)
            item = {"what": rng.choice(LINE_TEXTS), "unit": rng.choice(["machine", "шт.", "bed"]),
                    "planned_quantity": str(planned)}
            if deliveries:
                item["deliveries"] = deliveries
            if over:
                item["over_delivery"] = True
            deliverables.append(item)
        dump = lambda v: json.dumps(v, ensure_ascii=False) if v else ""
        tagged = f" {tag}" if tag and i < n // 10 else ""
        out.writerow([f"prj-{i:05d}", f"Project {i}{tagged}: {rng.choice(LINE_TEXTS)}", rng.choice(["", "Проєкт «Світло»"]),
                      rng.choice(["", "Supply & install <equipment>.", TEXTS[0]]),
                      rng.choice(["", "Постачання обладнання."]), rng.choice(PROJECT_STATUSES),
                      "|".join(rng.sample(agreement_ids, min(len(agreement_ids), rng.randint(0, 2)))),
                      "|".join(f"{inst}:{role}" for inst, role in participants),
                      planned_start, planned_end, actual_start, actual_end,
                      "|".join(rng.sample(AREAS, rng.randint(0, 3))), "|".join(locations),
                      "|".join(budget), dump(transactions), dump(deliverables),
                      "ILLUSTRATIVE: random test data"])


if __name__ == "__main__":
    main()
