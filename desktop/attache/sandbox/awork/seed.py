"""The demo workspace: a small design agency with clients, projects, tasks, people and files.

Deterministic: the same seed gives the same ids, names, dates and pictures, so tests and
screenshots are stable. `scale=N` replaces the demo's tasks by N generated ones, inserted in
bulk (100,000 in a couple of seconds) for paging and speed tests; `people=N` adds N generated
colleagues, each with a picture of their own, for scrolling through avatars.
"""

from __future__ import annotations

import io
import random
import sqlite3
import uuid
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw

from attache.sandbox.awork.store import Store, iso, ticks
from attache.sandbox.common import avatars, templates
from attache.sandbox.common.documents import tiny_pdf
from attache.sandbox.common.people import PEOPLE, SeededIds
from attache.sandbox.common.plugin import Checkpoint

SEED_VERSION = "2"  # 2: each picture drawn from a generator of its own (`avatars.Drawings`)
MAX_SCALE = 100_000
MAX_PEOPLE = 10_000
BASE_TIME = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)  # "now" of the demo story

WORKSPACE = ("Northwind Studio", "A small design and development agency in Hamburg.", "northwind-studio")

ARCHIVED_PEOPLE = 2  # the last two have left; GET /users hides them unless showArchived=true

COMPANIES = [
    ("Brightwave Media", "Media", "Video production house, long-standing client."),
    ("Nordlicht Bakery", "Food & Beverage", "Family bakery with twelve shops in the north."),
    ("Harbor & Pine Architects", "Architecture", "Architecture office focused on timber buildings."),
    ("Kestrel Outdoor Gear", "Retail", "Outdoor equipment, online shop and three stores."),
    ("Lumen Health", "Healthcare", "Network of physiotherapy practices."),
    ("Quarry Lane Coffee", "Food & Beverage", "Specialty coffee roaster."),
    ("Bluefin Logistics", "Logistics", "Regional freight forwarder."),
    ("Mosaic Learning", "Education", "Online courses for adult education."),
    ("Copperleaf Finance", "Finance", "Independent wealth management firm."),
    ("Alder & Stone Furniture", "Manufacturing", "Handmade furniture workshop."),
]

PROJECT_STATUSES = [
    ("Not started", "not-started", 0),
    ("In progress", "progress", 1),
    ("Stuck", "stuck", 2),
    ("Done", "closed", 3),
]
PROJECT_TYPES = [
    ("Client project", "briefcase"),
    ("Internal", "home"),
    ("Retainer", "repeat"),
    ("Campaign", "megaphone"),
]
TASK_STATUSES = [
    ("To do", "todo", "circle"),
    ("In progress", "progress", "play"),
    ("Review", "review", "eye"),
    ("Blocked", "stuck", "alert"),
    ("Done", "done", "check"),
]
TYPES_OF_WORK = [
    ("Design", "brush"),
    ("Development", "code"),
    ("Project management", "clipboard"),
    ("Copywriting", "pen"),
    ("Meeting", "users"),
    ("Research", "search"),
]
TEMPLATES = [
    ("Website project", "Discovery, design, build and launch of a marketing website.", 0),
    ("Brand identity", "Workshops, logo, colour and type system, brand guide.", 0),
    ("Campaign", "Concept, assets and rollout of a multi-channel campaign.", 3),
    ("Monthly retainer", "Recurring content and maintenance work.", 2),
]
# (name, company index or None, key, type index, status index, colour)
PROJECTS = [
    ("Website relaunch", 0, "BWM", 0, 1, "blue"),
    ("Brand identity refresh", 1, "NLB", 0, 1, "orange"),
    ("Office fit-out visuals", 2, "HPA", 0, 0, "green"),
    ("Summer catalogue", 3, "KOG", 3, 1, "yellow"),
    ("Patient portal UX", 4, "LUM", 0, 2, "cyan"),
    ("Loyalty app", 5, "QLC", 0, 1, "purple"),
    ("Fleet tracking dashboard", 6, "BFL", 0, 1, "indigo"),
    ("E-learning course design", 7, "MOS", 0, 0, "red"),
    ("Annual report 2024", 8, "CLF", 0, 3, "steel"),
    ("Showroom photo shoot", 9, "ALS", 3, 3, "orange"),
    ("Social media retainer", 0, "BSM", 2, 1, "purple"),
    ("Design system", None, "DS", 1, 1, "indigo"),
    ("Hiring & onboarding", None, "HR", 1, 0, "green"),
    ("Trade fair booth", 3, "KTF", 3, 2, "yellow"),
    ("Newsletter automation", 4, "LNA", 2, 1, "cyan"),
]
ACTIONS = [
    "Design",
    "Review",
    "Draft",
    "Finalize",
    "Prepare",
    "Update",
    "Test",
    "Present",
    "Research",
    "Plan",
    "Write",
    "Build",
    "Sketch",
    "Refine",
]
OBJECTS = [
    "homepage mockup",
    "logo variations",
    "landing page copy",
    "budget overview",
    "content calendar",
    "user interviews",
    "style guide",
    "newsletter template",
    "photo shoot schedule",
    "onboarding flow",
    "pricing table",
    "FAQ section",
    "press release",
    "analytics report",
    "icon set",
    "release notes",
    "checkout flow",
    "accessibility audit",
    "sitemap",
    "social media assets",
    "colour palette",
    "print layout",
    "product descriptions",
    "kick-off agenda",
    "stakeholder update",
    "moodboard",
    "navigation concept",
    "error pages",
    "email sequence",
    "hero illustration",
]
FILES = [
    ("Meeting notes.txt", "text/plain"),
    ("Budget.csv", "text/csv"),
    ("Moodboard.png", "image/png"),
    ("Brief.pdf", "application/pdf"),
    ("Feedback round 2.txt", "text/plain"),
    ("Timeline.csv", "text/csv"),
    ("Hero draft.png", "image/png"),
    ("Offer.pdf", "application/pdf"),
]


def _no_stop(step: str) -> None:
    pass


def is_seeded(store: Store) -> bool:
    return store.get_meta("seed_version") is not None


def clone_seeded(
    data_dir: Path, *, seed: int = 1, scale: int | None = None, people: int = 0, checkpoint: Checkpoint = _no_stop
) -> None:
    """Fill an empty data directory with the seeded workspace for (seed, scale, people), from this
    process's template for them (seeded the first time)."""

    def fill(store: Store) -> None:
        seed_store(store, seed=seed, scale=scale, people=people, checkpoint=checkpoint)

    key = ("awork", seed, scale, people)
    templates.clone_seeded_store(data_dir, key, Store, fill, prefix="attache-awork-template-")


def seed_store(
    store: Store, *, seed: int = 1, scale: int | None = None, people: int = 0, checkpoint: Checkpoint = _no_stop
) -> None:
    """Fill an empty store with the demo workspace (`scale` tasks instead of the demo's, and
    `people` more users with pictures). `checkpoint` is called between steps (and every few
    thousand rows); when it raises, nothing is committed."""
    check_sizes(scale, people)
    rng = random.Random(seed)
    ids = SeededIds(rng)
    checkpoint("seeding")
    with store.transaction() as db:
        with avatars.Drawings() as drawings:
            seeder = _Seeder(store, db, rng, ids, checkpoint, drawings)
            seeder.run(scale)
            seeder.store_pictures()
        if people:
            checkpoint("seeding people")
            seeder.more_people(people)
        checkpoint("seeded")
        store.set_meta(db, "seed_version", SEED_VERSION)
        store.set_meta(db, "seed", str(seed))


def check_sizes(scale: int | None, people: int) -> None:
    if scale is not None and not 0 <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be between 0 and {MAX_SCALE:,}")
    if not 0 <= people <= MAX_PEOPLE:
        raise ValueError(f"people must be between 0 and {MAX_PEOPLE:,}")


class _Seeder:
    def __init__(
        self,
        store: Store,
        db: sqlite3.Connection,
        rng: random.Random,
        ids: SeededIds,
        checkpoint: Checkpoint,
        drawings: avatars.Drawings,
    ) -> None:
        self.store, self.db, self.rng, self.id = store, db, rng, ids
        self.checkpoint = checkpoint
        self.drawings = drawings
        # each picture being drawn, with its row's columns before and after the drawing's own
        self.pictures: list[tuple[Future[tuple[bytes, str, int, int]], tuple, tuple]] = []

    def stamp(self, days_back: float) -> tuple[str, str, int]:
        """(createdOn, updatedOn, resourceVersion) for something made `days_back` days ago."""
        created = BASE_TIME - timedelta(days=days_back, minutes=self.rng.randint(0, 600))
        updated = created + timedelta(days=self.rng.uniform(0, min(days_back, 20)))
        return iso(created), iso(updated), ticks(updated)

    def image(self, entity_name: str, entity_id: str, label: str, style: str, chance: float) -> int:
        """Give an entity a generated avatar with probability `chance`; returns has_image. The
        picture is drawn meanwhile and stored by `store_pictures`."""
        if self.rng.random() >= chance:
            return 0
        size = self.rng.choice((256, 320, 384, 512)) if style != "person" else 256
        fmt = "JPEG" if style == "person" else "PNG"
        drawn = self.drawings.draw(self.rng, label, style=style, size=size, fmt=fmt)
        ext = "jpg" if fmt == "JPEG" else "png"
        created = iso(BASE_TIME - timedelta(days=self.rng.randint(1, 300)))
        before = (entity_name, entity_id, self.id(), self.id(), f"{entity_name[:-1]}.{ext}")
        after = (uuid.UUID(int=self.rng.getrandbits(128)).hex, created, self.me)
        self.pictures.append((drawn, before, after))
        return 1

    def store_pictures(self) -> None:
        """The pictures `image` asked for, as each is drawn, in the order asked."""
        for drawn, before, after in self.pictures:
            data, mime, width, height = drawn.result()
            blob = self.store.write_blob(data)
            row = (*before, mime, len(data), width, height, blob, *after)
            self.db.execute("INSERT INTO images VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", row)
        self.pictures.clear()

    def run(self, scale: int | None) -> None:
        db, rng = self.db, self.rng
        self.users = [self.id() for _ in PEOPLE]
        self.me = self.users[0]
        db.execute("INSERT INTO meta VALUES ('me_user_id', ?)", (self.me,))

        name, description, sub = WORKSPACE
        self.workspace = self.id()
        c, u, rv = self.stamp(900)
        has = self.image("workspaces", self.workspace, name, "shapes", 1.0)
        db.execute(
            "INSERT INTO workspaces VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                self.workspace,
                name,
                description,
                f"https://{sub}.awork.com",
                sub,
                "en-GB",
                has,
                c,
                self.me,
                u,
                self.me,
                rv,
            ),
        )
        db.execute("INSERT INTO meta VALUES ('workspace_id', ?)", (self.workspace,))

        for index, (first, last, position) in enumerate(PEOPLE):
            uid = self.users[index]
            c, u, rv = self.stamp(rng.uniform(30, 800))
            archived = int(index >= len(PEOPLE) - ARCHIVED_PEOPLE)
            has = self.image("users", uid, f"{first} {last}", "person", _chance(index, 0.8, always=0, never=15))
            db.execute(
                "INSERT INTO users VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    uid,
                    first,
                    last,
                    position,
                    None,
                    None,
                    rng.choice(("en-GB", "de-DE")),
                    archived,
                    has,
                    c,
                    self.me,
                    u,
                    self.me,
                    rv,
                ),
            )
        self.active_users = self.users[: len(PEOPLE) - ARCHIVED_PEOPLE]

        self.companies = []
        for index, (cname, industry, cdesc) in enumerate(COMPANIES):
            cid = self.id()
            self.companies.append((cid, cname))
            c, u, rv = self.stamp(rng.uniform(60, 700))
            has = self.image("companies", cid, cname, "shapes+letter", _chance(index, 0.75, always=0, never=1))
            db.execute(
                "INSERT INTO companies VALUES (?,?,?,?,?,?,?,?,?,?)",
                (cid, cname, cdesc, industry, has, c, self.me, u, self.me, rv),
            )
        for cid, _ in self.companies[:4]:  # awork lists no contact persons; they exist for their images
            for _ in range(2):
                pid = self.id()
                first, last = rng.choice(PEOPLE)[0], rng.choice(PEOPLE)[1]
                c, u, rv = self.stamp(rng.uniform(10, 300))
                has = self.image("contactpersons", pid, f"{first} {last}", "person", 0.5)
                db.execute(
                    "INSERT INTO contact_persons VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (pid, cid, first, last, has, c, self.me, u, self.me, rv),
                )

        self.project_statuses = [(self.id(), *s) for s in PROJECT_STATUSES]
        db.executemany("INSERT INTO project_statuses VALUES (?,?,?,?)", self.project_statuses)
        self.project_types = [(self.id(), *t) for t in PROJECT_TYPES]
        db.executemany("INSERT INTO project_types VALUES (?,?,?)", self.project_types)
        self.workflow = self.id()
        created = iso(BASE_TIME - timedelta(days=900))
        self.task_statuses = [
            (self.id(), n, t, float(i), icon, self.workflow, created, self.me)
            for i, (n, t, icon) in enumerate(TASK_STATUSES)
        ]
        db.executemany("INSERT INTO task_statuses VALUES (?,?,?,?,?,?,?,?)", self.task_statuses)
        self.types_of_work = [(self.id(), *t) for t in TYPES_OF_WORK]
        db.executemany("INSERT INTO types_of_work VALUES (?,?,?)", self.types_of_work)

        self.templates = []
        for index, (tname, tdesc, type_index) in enumerate(TEMPLATES):
            tid = self.id()
            self.templates.append(tid)
            c, u, rv = self.stamp(rng.uniform(100, 600))
            has = self.image("projecttemplates", tid, tname, "shapes", _chance(index, 0.75, always=0, never=3))
            db.execute(
                "INSERT INTO project_templates VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    tid,
                    tname,
                    tdesc,
                    self.project_types[type_index][0],
                    self.workflow,
                    rng.choice((0, 36000, 72000, 144000)),
                    has,
                    c,
                    self.me,
                    u,
                    self.me,
                    rv,
                ),
            )

        self.projects = []
        for index, (pname, company_index, key, type_index, status_index, colour) in enumerate(PROJECTS):
            pid = self.id()
            self.projects.append((pid, key, status_index))
            company_id = self.companies[company_index][0] if company_index is not None else None
            c, u, rv = self.stamp(rng.uniform(20, 400))
            start = BASE_TIME - timedelta(days=rng.randint(10, 120))
            has = self.image("projects", pid, pname, "shapes", _chance(index, 0.8, always=0, never=2))
            db.execute(
                "INSERT INTO projects VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    pid,
                    pname,
                    f"{pname} for {self.companies[company_index][1]}."
                    if company_id
                    else f"Internal project: {pname.lower()}.",
                    key,
                    colour,
                    company_id,
                    self.project_statuses[status_index][0],
                    self.project_types[type_index][0],
                    rng.choice([*self.templates, None]),
                    self.workflow,
                    int(company_id is None and rng.random() < 0.5),
                    int(company_id is not None),
                    iso(start),
                    iso(start + timedelta(days=rng.randint(30, 200))),
                    rng.choice((None, 72000, 360000)),
                    has,
                    c,
                    self.me,
                    u,
                    self.me,
                    rv,
                ),
            )
            for member_index, uid in enumerate(rng.sample(self.active_users, rng.randint(2, 5))):
                db.execute(
                    "INSERT INTO project_members VALUES (?,?,?,?,?,?)",
                    (
                        self.id(),
                        pid,
                        uid,
                        None,
                        "Project lead" if member_index == 0 else "Member",
                        int(member_index == 0),
                    ),
                )

        self.checkpoint("seeding tasks")
        if scale is None:
            self.demo_tasks()
            self.demo_files()
        else:
            self.bulk_tasks(scale)

    def more_people(self, count: int) -> None:
        """`count` generated colleagues after the demo's, every one with a picture of their own
        (the names, and so the drawings, repeat every 18 people; each person's picture is stored
        apart, so an app fetches every one)."""
        rng = self.rng
        positions = sorted({position for _, _, position in PEOPLE})
        drawings: dict[int, tuple] = {}
        for index in range(count):
            if index % 500 == 499:
                self.checkpoint("seeding people")
            uid = self.id()
            cycle = index % len(PEOPLE)
            first, last = PEOPLE[cycle][0], PEOPLE[(cycle * 7 + 3) % len(PEOPLE)][1]
            if cycle not in drawings:
                drawings[cycle] = avatars.render(rng, f"{first} {last}", style="person", size=256, fmt="JPEG")
            data, mime, width, height = drawings[cycle]
            created = iso(BASE_TIME - timedelta(days=rng.randint(1, 300)))
            self.db.execute(
                "INSERT INTO images VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    "users",
                    uid,
                    self.id(),
                    self.id(),
                    "user.jpg",
                    mime,
                    len(data),
                    width,
                    height,
                    self.store.write_blob(data),
                    uuid.UUID(int=rng.getrandbits(128)).hex,
                    created,
                    self.me,
                ),
            )
            c, u, rv = self.stamp(rng.uniform(30, 800))
            self.db.execute(
                "INSERT INTO users VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    uid,
                    first,
                    f"{last} {index + 1}",
                    positions[index % len(positions)],
                    None,
                    None,
                    "en-GB",
                    0,
                    1,
                    c,
                    self.me,
                    u,
                    self.me,
                    rv,
                ),
            )

    # ---- tasks ----
    def _task_rows(self, count: int, per_project: list[int] | None = None):
        """Task rows, generated with cheap arithmetic on random floats: this runs 100,000 times."""
        rnd, ids = self.rng.random, self.id
        projects, users, works = self.projects, self.active_users, self.types_of_work
        statuses = self.task_statuses
        # weighted status draws per project status: not started / running / stuck / done
        pools = {0: [0] * 8 + [1] * 2, 3: [4] * 9 + [2], 1: [0] * 4 + [1] * 3 + [2] * 2 + [3] + [4] * 4}
        pools[2] = pools[1]
        numbers = {pid: 0 for pid, _, _ in projects}
        durations = (0, 1800, 3600, 7200, 14400, 28800)
        base = BASE_TIME.replace(tzinfo=None)
        base_ticks = ticks(BASE_TIME)
        sequence = [p for p, n in zip(projects, per_project, strict=True) for _ in range(n)] if per_project else None
        n_projects, n_actions, n_objects, n_users, n_works = (
            len(projects),
            len(ACTIONS),
            len(OBJECTS),
            len(users),
            len(works),
        )
        checkpoint = self.checkpoint
        for index in range(count):
            if index % 5000 == 4999:
                checkpoint("seeding tasks")
            pid, _key, project_status = sequence[index] if sequence else projects[int(rnd() * n_projects)]
            numbers[pid] += 1
            number = numbers[pid]
            pool = pools[project_status]
            status = statuses[pool[int(rnd() * len(pool))]]
            age = 60 + int(rnd() * 288_000)  # minutes: up to 200 days old
            since_update = int(rnd() * age)
            created = base - timedelta(minutes=age)
            updated = base - timedelta(minutes=since_update)
            due = (
                (created + timedelta(days=3 + int(rnd() * 57))).isoformat(timespec="milliseconds") + "Z"
                if rnd() < 0.7
                else None
            )
            updated_text = updated.isoformat(timespec="milliseconds") + "Z"
            closed = updated_text if status[2] == "done" else None
            yield (
                ids(),
                f"{ACTIONS[int(rnd() * n_actions)]} {OBJECTS[int(rnd() * n_objects)]}",
                None,
                pid,
                status[0],
                works[int(rnd() * n_works)][0],
                number,
                int(rnd() < 0.12),
                None,
                due,
                durations[int(rnd() * 6)],
                float(number),
                created.isoformat(timespec="milliseconds") + "Z",
                self.me,
                updated_text,
                users[int(rnd() * n_users)],
                base_ticks - since_update * 600_000_000,
                closed,
                self.me if closed else None,
            )

    def _insert_tasks(self, rows) -> list[str]:
        task_ids: list[str] = []
        assignees: list[tuple[str, str]] = []
        rng, users = self.rng, self.active_users

        rnd, n_users = rng.random, len(users)

        def tracked():
            for row in rows:
                task_id = row[0]
                task_ids.append(task_id)
                draw = rnd()  # a quarter unassigned, most with one person, some with two
                if draw >= 0.25:
                    first = int(rnd() * n_users)
                    assignees.append((task_id, users[first]))
                    if draw >= 0.85:
                        assignees.append((task_id, users[(first + 1 + int(rnd() * (n_users - 1))) % n_users]))
                yield row

        self.db.executemany("INSERT INTO tasks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", tracked())
        self.db.executemany("INSERT INTO task_assignees VALUES (?,?)", assignees)
        return task_ids

    def demo_tasks(self) -> None:
        per_project = [self.rng.randint(9, 15) for _ in self.projects]
        self.task_ids = self._insert_tasks(self._task_rows(sum(per_project), per_project))

    def bulk_tasks(self, count: int) -> None:
        self.task_ids = self._insert_tasks(self._task_rows(count))

    # ---- files on some tasks ----
    def demo_files(self) -> None:
        rng = self.rng
        for task_id in rng.sample(self.task_ids, 14):
            for file_name, mime in rng.sample(FILES, rng.randint(1, 3)):
                data, width, height = _file_content(rng, file_name, mime)
                blob = self.store.write_blob(data)
                created = iso(BASE_TIME - timedelta(days=rng.uniform(0, 40)))
                self.store.add_task_file(
                    self.db,
                    task_id,
                    blob,
                    name=file_name,
                    file_name=file_name,
                    description=None,
                    mime_type=mime,
                    size=len(data),
                    width=width,
                    height=height,
                    user_id=rng.choice(self.active_users),
                    created_on=created,
                )


def _chance(index: int, chance: float, *, always: int, never: int) -> float:
    """Most entities get a picture, but every kind has one with and one without."""
    return 1.0 if index == always else 0.0 if index == never else chance


def _file_content(rng: random.Random, file_name: str, mime: str) -> tuple[bytes, int | None, int | None]:
    if mime == "image/png":
        image = Image.new("RGB", (640, 400), rng.choice(avatars.PALETTES)[0])
        draw = ImageDraw.Draw(image)
        for _ in range(8):
            x, y = rng.randint(0, 600), rng.randint(0, 360)
            draw.rectangle(
                (x, y, x + rng.randint(40, 200), y + rng.randint(30, 120)), fill=rng.choice(avatars.PALETTES)[1]
            )
        out = io.BytesIO()
        image.save(out, "PNG", compress_level=3)
        return out.getvalue(), 640, 400
    if mime == "text/csv":
        lines = ["item,hours,rate,total"] + [
            f"{rng.choice(OBJECTS)},{h},95,{h * 95}" for h in (rng.randint(2, 40) for _ in range(12))
        ]
        return ("\n".join(lines) + "\n").encode(), None, None
    if mime == "application/pdf":
        return tiny_pdf(file_name.rsplit(".", 1)[0]), None, None
    body = "\n".join(f"- {rng.choice(ACTIONS)} {rng.choice(OBJECTS)}" for _ in range(10))
    return f"{file_name}\n\n{body}\n".encode(), None, None
