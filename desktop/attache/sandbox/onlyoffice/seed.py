"""The demo portal: a small architecture office with projects (each with its Documents folder),
tasks (some with files), people (most with a photo) and CRM companies and persons.

Deterministic: the same seed gives the same ids, names, dates and photos. Seeded once per
process into a template folder that each new sandbox copies (`common.templates.clone_seeded`).
"""

from __future__ import annotations

import io
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image

from attache.sandbox.common import avatars, templates
from attache.sandbox.common.documents import tiny_pdf
from attache.sandbox.common.people import PEOPLE, SeededIds
from attache.sandbox.common.plugin import Checkpoint
from attache.sandbox.onlyoffice.store import Store, api_date

SEED_VERSION = "1"
BASE_TIME = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
PORTAL = {"name": "Harbourlight Architects", "alias": "harbourlight"}
DEMO_PASSWORD = "demo-password"  # every demo user's; the first signs in without a second factor
PEOPLE_COUNT = 15
WITHOUT_PHOTO = (4, 9, 13)  # these people keep the portal's default photo
TFA_USER = 1  # the second person signs in with an authenticator app (tfa.TFA_SECRET)
PROJECT_FOLDER_TYPE = 2  # FolderType.BUNCH: a project's files root

PROJECTS = [
    ("Riverside Library", "Timber extension of the city library."),
    ("Harbour Lofts", "Conversion of a warehouse into 40 lofts."),
    ("Kestrel School Campus", "New primary school with sports hall."),
    ("Old Mill Museum", "Restoration and visitor centre."),
    ("Office Move", "Internal: our own move to the new studio."),
    ("Competition: Bay Bridge", "Design competition entry."),
]
TASK_TITLES = [
    "Site survey",
    "Concept sketches",
    "Client workshop",
    "Structural review",
    "Planning application",
    "Energy report",
    "Material samples",
    "Cost estimate",
    "Detail drawings",
    "Tender documents",
]
COMPANIES = [
    ("Brightwave Media", "Media"),
    ("Nordlicht Bakery", "Food & Beverage"),
    ("Kestrel Outdoor Gear", "Retail"),
    ("Lumen Health", "Healthcare"),
    ("Quarry Lane Coffee", "Food & Beverage"),
    ("Bluefin Logistics", "Logistics"),
    ("Mosaic Learning", "Education"),
    ("Copperleaf Finance", "Finance"),
]
CONTACT_PEOPLE = [
    ("Anna", "Holm", "CEO"),
    ("Peter", "Kowalski", "Facility Manager"),
    ("Sofia", "Marino", "Owner"),
    ("David", "Chen", "Head of Marketing"),
    ("Lena", "Vogel", "Practice Manager"),
    ("Marco", "Silva", "Founder"),
    ("Julia", "Brandt", "Operations"),
    ("Tariq", "Aziz", "Fleet Manager"),
    ("Nina", "Petrova", "Programme Director"),
    ("Oliver", "Grant", "Partner"),
    ("Eva", "Lund", "Assistant"),
    ("Karl", "Stein", "Procurement"),
]


def clone_seeded(data_dir: Path, *, seed: int, checkpoint: Checkpoint) -> None:
    def fill(store: Store) -> None:
        checkpoint("seeding")
        _Seeder(store, random.Random(seed)).run()

    templates.clone_seeded_store(
        data_dir, ("onlyoffice", SEED_VERSION, seed), Store, fill, prefix="attache-oo-template-"
    )


class _Seeder:
    def __init__(self, store: Store, rng: random.Random) -> None:
        self.store, self.rng, self.ids = store, rng, SeededIds(rng)

    def when(self, days_back: float) -> str:
        return api_date(BASE_TIME - timedelta(days=days_back))

    def photo(self, label: str, style: str) -> str:
        data, _mime, _w, _h = avatars.render(self.rng, label, style=style, size=400)
        return self.store.write_blob(data)

    def run(self) -> None:
        with self.store.transaction() as db:
            users = self.users(db)
            self.projects_and_tasks(db, users)
            self.contacts(db, users[0])
            for key, value in (("portal_name", PORTAL["name"]), ("portal_alias", PORTAL["alias"])):
                self.store.set_meta(db, key, value)
            self.store.set_meta(db, "owner_id", users[0])
            self.store.set_meta(db, "created", self.when(400))

    def users(self, db: sqlite3.Connection) -> list[str]:
        ids = []
        for index, (first, last, title) in enumerate(PEOPLE[:PEOPLE_COUNT]):
            user_id = self.ids()
            login = f"{first}.{last}".lower().replace("ß", "ss").replace("ë", "e").replace("í", "i")
            photo = None if index in WITHOUT_PHOTO else self.photo(f"{first} {last}", "person")
            db.execute(
                "INSERT INTO users(id, user_name, email, first_name, last_name, title, department, password, tfa,"
                " is_admin, is_owner, photo, photo_version, created) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    user_id,
                    login,
                    f"{login}@{PORTAL['alias']}.example",
                    first,
                    last,
                    title,
                    "Design" if index % 2 else "Management",
                    DEMO_PASSWORD,
                    int(index == TFA_USER),
                    int(index == 0),
                    int(index == 0),
                    photo,
                    1 if photo else 0,
                    self.when(400 - index),
                ),
            )
            ids.append(user_id)
        return ids

    def projects_and_tasks(self, db: sqlite3.Connection, users: list[str]) -> None:
        for number, (title, description) in enumerate(PROJECTS, 1):
            created = self.when(200 - number * 10)
            folder = db.execute(
                "INSERT INTO folders(title, parent_id, root_type, created, created_by) VALUES (?,?,?,?,?)",
                (title, 0, PROJECT_FOLDER_TYPE, created, users[0]),
            ).lastrowid
            project = db.execute(
                "INSERT INTO projects(title, description, status, responsible_id, folder_id, created, created_by,"
                " updated) VALUES (?,?,?,?,?,?,?,?)",
                (
                    title,
                    description,
                    0 if number < 6 else 2,
                    users[number % len(users)],
                    folder,
                    created,
                    users[0],
                    created,
                ),
            ).lastrowid
            for index, task_title in enumerate(TASK_TITLES):
                self.task(db, users, int(project or 0), int(folder or 0), number, index, task_title)

    def task(
        self, db: sqlite3.Connection, users: list[str], project: int, folder: int, number: int, index: int, title: str
    ) -> None:
        created = self.when(150 - number * 10 - index)
        start = BASE_TIME + timedelta(days=index * 3 - 10)
        task = db.execute(
            "INSERT INTO tasks(project_id, title, description, status, priority, start_date, deadline,"
            " responsible_id, created, created_by, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                project,
                title,
                f"{title} for {PROJECTS[number - 1][0]}.",
                2 if index < 3 else 1,
                (-1, 0, 0, 1)[(number + index) % 4],
                api_date(start),
                api_date(start + timedelta(days=14)),
                users[(number * 3 + index) % len(users)],
                created,
                users[0],
                created,
            ),
        ).lastrowid
        if (number + index) % 3:
            return  # about a third of the tasks have files
        for name, data in self.task_files(title, number, index):
            blob = self.store.write_blob(data)
            title_in_folder = self.store.available_title(db, folder, name)
            file_id = db.execute(
                "INSERT INTO files(folder_id, title, size, blob, created, created_by, updated) VALUES (?,?,?,?,?,?,?)",
                (folder, title_in_folder, len(data), blob, created, users[0], created),
            ).lastrowid
            db.execute("INSERT INTO task_files(task_id, file_id) VALUES (?,?)", (task, file_id))

    def task_files(self, title: str, number: int, index: int) -> list[tuple[str, bytes]]:
        slug = title.lower().replace(" ", "-")
        files = [(f"{slug}.pdf", tiny_pdf(title))]
        if index % 2 == 0:
            image = Image.new("RGB", (320, 200), self.rng.choice([(70, 110, 160), (180, 120, 60), (90, 150, 100)]))
            out = io.BytesIO()
            image.save(out, "PNG")
            files.append((f"{slug}-photo.png", out.getvalue()))
        return files

    def contacts(self, db: sqlite3.Connection, owner: str) -> None:
        companies = []
        for index, (name, industry) in enumerate(COMPANIES):
            photo = self.photo(name, "shapes+letter") if index % 2 == 0 else None
            companies.append(
                db.execute(
                    "INSERT INTO contacts(is_company, display_name, industry, about, email, photo, photo_version,"
                    " created, created_by) VALUES (1,?,?,?,?,?,?,?,?)",
                    (
                        name,
                        industry,
                        f"{name}, a client since {2018 + index}.",
                        f"office@{name.split()[0].lower()}.example",
                        photo,
                        1 if photo else 0,
                        self.when(300 - index),
                        owner,
                    ),
                ).lastrowid
            )
        for index, (first, last, title) in enumerate(CONTACT_PEOPLE):
            photo = self.photo(f"{first} {last}", "person") if index % 3 == 0 else None
            db.execute(
                "INSERT INTO contacts(is_company, display_name, first_name, last_name, company_id, title, email,"
                " photo, photo_version, created, created_by) VALUES (0,?,?,?,?,?,?,?,?,?,?)",
                (
                    f"{first} {last}",
                    first,
                    last,
                    companies[index % len(companies)],
                    title,
                    f"{first.lower()}.{last.lower()}@example.com",
                    photo,
                    1 if photo else 0,
                    self.when(250 - index),
                    owner,
                ),
            )
