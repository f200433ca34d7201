"""The demo tenant: a consultancy's CRM with its users (associates, with pictures), customer
companies, more persons than one page of a list holds, projects, task and meeting appointments,
document templates (one deleted) and documents with content on some entities.

Deterministic: the same seed gives the same ids, names, dates and pictures. Seeded once per
process into a template folder that each new sandbox copies (`common.templates.clone_seeded`).
"""

from __future__ import annotations

import random
import sqlite3
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

from attache.sandbox.common import avatars, templates
from attache.sandbox.common.documents import tiny_pdf
from attache.sandbox.common.people import PEOPLE
from attache.sandbox.common.plugin import Checkpoint
from attache.sandbox.superoffice.store import Store, so_date

SEED_VERSION = "2"  # 2: documents keep their ExternalRef
BASE_TIME = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
OWN_COMPANY = "Fjordlight Consulting AS"
DEMO_PASSWORD = "demo-password"  # every associate's; the first is the demo login
CUSTOMER_PERSONS = 262  # with the associates' persons, more than the 200 a list page holds
ASSOCIATES_WITHOUT_PICTURE = (5, 11)

COMPANY_WORDS = (
    ["Nordic", "Aurora", "Granite", "Blue Fjord", "Lumen", "Copper", "Harbour", "Kestrel", "Polar", "Silver Birch"],
    ["Logistics", "Health", "Media", "Energy", "Foods", "Finance", "Retail", "Software", "Marine", "Design"],
    ["AS", "AB", "GmbH", "Ltd", "Oy"],
)
CATEGORIES = ["Customer", "Prospect", "Supplier", "Partner"]
COUNTRIES = ["Norway", "Sweden", "Denmark", "Germany", "Finland", "United Kingdom"]
FIRST_NAMES = [
    "Anna", "Peter", "Sofia", "David", "Lena", "Marco", "Julia", "Tariq", "Nina", "Oliver", "Eva", "Karl",
    "Ingrid", "Lars", "Mette", "Sven", "Astrid", "Henrik", "Freya", "Nils", "Sara", "Emil", "Ida", "Jakob",
]  # fmt: skip
LAST_NAMES = [
    "Holm", "Kowalski", "Marino", "Chen", "Vogel", "Silva", "Brandt", "Aziz", "Petrova", "Grant", "Lund",
    "Stein", "Berg", "Nilsen", "Johansen", "Eriksson", "Larsen", "Dahl", "Strand", "Bakke", "Moen", "Haugen",
]  # fmt: skip
TITLES = ["CEO", "CFO", "Head of IT", "Purchaser", "Project Lead", "Office Manager", "Consultant", "Engineer"]
PROJECTS = [
    ("CRM roll-out Aurora", "Implementation", "In progress"),
    ("Warehouse analytics", "Consulting", "In progress"),
    ("Website relaunch", "Development", "Planned"),
    ("ERP integration", "Development", "In progress"),
    ("Annual customer survey", "Internal", "Completed"),
    ("Data protection audit", "Consulting", "In progress"),
    ("Fleet tracking pilot", "Implementation", "Planned"),
    ("Onboarding handbook", "Internal", "In progress"),
    ("Cloud migration", "Implementation", "In progress"),
    ("Pricing workshop", "Consulting", "Completed"),
    ("Mobile sales app", "Development", "Planned"),
    ("Partner portal", "Development", "In progress"),
    ("Trade fair Oslo", "Internal", "Planned"),
    ("Support desk review", "Consulting", "In progress"),
]
TASK_TYPES = ["To-do", "Phone call", "Follow-up", "Review"]
TASKS = [
    "Send the offer", "Book the kick-off", "Review the contract", "Prepare the workshop",
    "Collect requirements", "Write the status report", "Check the invoice", "Plan the go-live",
    "Update the price list", "Call about the renewal",
]  # fmt: skip
MEETINGS = ["Kick-off meeting", "Steering group", "Lunch with the customer", "Demo session"]
# (id, name, tooltip, file name, record type, MIME type, deleted)
TEMPLATES = [
    (1, "Attachment", "Any file", "", "Document", "application/octet-stream", 0),
    (2, "Letter", "A letter to the customer", "letter.docx", "Document", "application/msword", 0),
    (3, "Offer", "A quotation", "offer.docx", "Document", "application/msword", 0),
    (4, "Old offer (2019)", "Replaced by Offer", "offer2019.doc", "Document", "application/msword", 1),
    (5, "Spreadsheet", "Figures and budgets", "sheet.xlsx", "Document", "application/vnd.ms-excel", 0),
    (6, "E-mail", "An e-mail", "", "Email", "message/rfc822", 0),
]
DEFAULT_TEMPLATE = 1


def user_name(first: str, last: str) -> str:
    text = f"{first}.{last}".lower().replace("ß", "ss")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


DEMO_USER = user_name(PEOPLE[0][0], PEOPLE[0][1])


def clone_seeded(data_dir: Path, *, seed: int, checkpoint: Checkpoint) -> None:
    def fill(store: Store) -> None:
        checkpoint("seeding")
        _Seeder(store, random.Random(seed)).run()

    templates.clone_seeded_store(
        data_dir, ("superoffice", SEED_VERSION, seed), Store, fill, prefix="attache-so-template-"
    )


class _Seeder:
    def __init__(self, store: Store, rng: random.Random) -> None:
        self.store, self.rng = store, rng

    def when(self, days_back: float) -> str:
        return so_date(BASE_TIME - timedelta(days=days_back))

    def picture(self, db: sqlite3.Connection, kind: str, entity_id: int, label: str, style: str) -> None:
        data, mime, _w, _h = avatars.render(self.rng, label, style=style, size=240)
        blob = self.store.write_blob(data)
        db.execute(
            "INSERT INTO images(kind, entity_id, blob, blob_id, mime, size, updated) VALUES (?,?,?,?,?,?,?)",
            (kind, entity_id, blob, self.store.new_blob_id(db), mime, len(data), self.when(30)),
        )

    def run(self) -> None:
        with self.store.transaction() as db:
            self.associates(db)
            companies = self.companies(db)
            self.persons(db, companies)
            projects = self.projects(db)
            appointments = self.appointments(db, companies, projects)
            db.executemany(
                "INSERT INTO templates(id, name, tooltip, filename, record_type, mime, deleted, rank)"
                " VALUES (?,?,?,?,?,?,?,?)",
                [(*t, t[0]) for t in TEMPLATES],
            )
            self.documents(db, companies, projects, appointments)
            self.store.set_meta(db, "own_company", OWN_COMPANY)

    def associates(self, db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO contacts(id, name, number, category, business, country, associate_id, created, updated)"
            " VALUES (1, ?, '10001', 'Own company', 'Consulting', 'Norway', 1, ?, ?)",
            (OWN_COMPANY, self.when(900), self.when(20)),
        )
        for index, (first, last, position) in enumerate(PEOPLE, 1):
            name = user_name(first, last)
            db.execute(
                "INSERT INTO persons(id, contact_id, first_name, last_name, title, email, associate_id, is_associate,"
                " created, updated) VALUES (?, 1, ?, ?, ?, ?, 1, 1, ?, ?)",
                (index, first, last, position, f"{name}@fjordlight.example", self.when(800 - index), self.when(10)),
            )
            db.execute(
                "INSERT INTO associates(id, person_id, user_name, password, is_admin, last_login) VALUES (?,?,?,?,?,?)",
                (index, index, name, DEMO_PASSWORD, int(index == 1), self.when(index % 7)),
            )
            if index not in ASSOCIATES_WITHOUT_PICTURE:
                self.picture(db, "person", index, f"{first} {last}", "person")

    def companies(self, db: sqlite3.Connection) -> list[int]:
        ids = []
        names: set[str] = set()
        while len(names) < 32:
            first, second, form = (self.rng.choice(words) for words in COMPANY_WORDS)
            names.add(f"{first} {second} {form}")
        for offset, name in enumerate(sorted(names)):
            contact_id = 2 + offset
            ids.append(contact_id)
            db.execute(
                "INSERT INTO contacts(id, name, department, org_nr, number, category, business, country, associate_id,"
                " created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    contact_id,
                    name,
                    self.rng.choice(["", "", "Sales", "Head office"]),
                    f"{self.rng.randrange(900_000_000, 999_999_999)}",
                    str(10_001 + contact_id),
                    self.rng.choice(CATEGORIES),
                    name.split()[-2],
                    self.rng.choice(COUNTRIES),
                    self.rng.randint(1, len(PEOPLE)),
                    self.when(700 - offset),
                    self.when(self.rng.uniform(1, 60)),
                ),
            )
            if offset % 3 == 0:
                self.picture(db, "contact", contact_id, name, "shapes+letter")
        return ids

    def persons(self, db: sqlite3.Connection, companies: list[int]) -> None:
        for number in range(CUSTOMER_PERSONS):
            person_id = len(PEOPLE) + 1 + number
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            contact_id = companies[number % len(companies)]
            db.execute(
                "INSERT INTO persons(id, contact_id, first_name, last_name, title, email, associate_id, created,"
                " updated) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    person_id,
                    contact_id,
                    first,
                    last,
                    self.rng.choice(TITLES),
                    f"{user_name(first, last)}{number}@customer.example",
                    self.rng.randint(1, len(PEOPLE)),
                    self.when(600 - number / 2),
                    self.when(self.rng.uniform(1, 90)),
                ),
            )
            if number % 9 == 0:
                self.picture(db, "person", person_id, f"{first} {last}", "person")

    def projects(self, db: sqlite3.Connection) -> list[int]:
        ids = []
        for project_id, (name, kind, status) in enumerate(PROJECTS, 1):
            ids.append(project_id)
            db.execute(
                "INSERT INTO projects(id, name, number, type, status, associate_id, description, completed, end_date,"
                " created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    project_id,
                    name,
                    f"P{1000 + project_id}",
                    kind,
                    status,
                    1 + project_id % len(PEOPLE),
                    f"{name}: {kind.lower()} project.",
                    int(status == "Completed"),
                    self.when(-60 - project_id * 7),
                    self.when(300 - project_id * 10),
                    self.when(project_id),
                ),
            )
            if project_id % 2 == 1:
                self.picture(db, "project", project_id, name, "shapes")
        return ids

    def appointments(self, db: sqlite3.Connection, companies: list[int], projects: list[int]) -> list[int]:
        ids = []
        for number in range(72):
            appointment_id = number + 1
            meeting = number % 6 == 5
            project_id = projects[number % len(projects)]
            contact_id = companies[number % len(companies)]
            person = db.execute("SELECT id FROM persons WHERE contact_id=? LIMIT 1", (contact_id,)).fetchone()
            start = BASE_TIME + timedelta(days=number - 30, hours=number % 8)
            title = self.rng.choice(MEETINGS) if meeting else f"{TASKS[number % len(TASKS)]} #{appointment_id}"
            db.execute(
                "INSERT INTO appointments(id, text, record_type, task_type, date, end_date, associate_id, contact_id,"
                " person_id, project_id, completed, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    appointment_id,
                    title,
                    "inDiary" if meeting else "inChecklist",
                    "Meeting" if meeting else TASK_TYPES[number % len(TASK_TYPES)],
                    so_date(start),
                    so_date(start + timedelta(hours=1)),
                    1 + number % len(PEOPLE),
                    contact_id,
                    person["id"] if person else None,
                    project_id,
                    int(number < 20),
                    self.when(100 - number),
                    self.when(50 - number / 2),
                ),
            )
            ids.append(appointment_id)
        return ids

    def documents(self, db: sqlite3.Connection, companies: list[int], projects: list[int], tasks: list[int]) -> None:
        rows = []
        for number in range(24):
            target = number % 4
            contact_id = companies[number % len(companies)]
            project_id = projects[number % len(projects)] if target in (1, 3) else None
            appointment_id = tasks[number] if target == 3 else None
            person_id = len(PEOPLE) + 1 + number if target == 2 else None
            header = f"{['Minutes', 'Offer', 'Contract', 'Report'][number % 4]} {number + 1}"
            name = f"{header.lower().replace(' ', '-')}.pdf"
            data = tiny_pdf(header)
            rows.append(
                (
                    number + 1,
                    header,
                    name,
                    2 if number % 4 == 1 else 1,
                    1 + number % len(PEOPLE),
                    contact_id,
                    person_id,
                    project_id,
                    appointment_id,
                    self.when(200 - number),
                    self.store.write_blob(data),
                    len(data),
                )
            )
        db.executemany(
            "INSERT INTO documents(id, header, name, template_id, associate_id, contact_id, person_id, project_id,"
            " appointment_id, date, created, updated, blob, size, mime)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(*row[:9], row[9], row[9], row[9], row[10], row[11], "application/pdf") for row in rows],
        )
