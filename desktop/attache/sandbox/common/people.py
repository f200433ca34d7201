"""Generated people for demo data: names with job titles, and ids that a seed always repeats."""

from __future__ import annotations

import random

# (first name, last name, position): a small agency's staff, names from many countries.
PEOPLE = [
    ("Maya", "Lindqvist", "Managing Director"),
    ("Jonas", "Becker", "Project Manager"),
    ("Priya", "Raman", "Art Director"),
    ("Lucas", "Moreau", "Senior Designer"),
    ("Hannah", "Schulz", "Frontend Developer"),
    ("Tomasz", "Nowak", "Backend Developer"),
    ("Aiko", "Tanaka", "UX Researcher"),
    ("Samuel", "Okafor", "Account Manager"),
    ("Elena", "García", "Copywriter"),
    ("Finn", "Hansen", "Motion Designer"),
    ("Zoë", "Dubois", "Content Strategist"),
    ("Mateo", "Rossi", "DevOps Engineer"),
    ("Ingrid", "Berg", "Marketing Lead"),
    ("Omar", "Haddad", "Data Analyst"),
    ("Clara", "Weiß", "Office Manager"),
    ("Noah", "Fischer", "QA Engineer"),
    ("Leila", "Karimi", "Junior Designer"),
    ("Ben", "Carter", "Working Student"),
]


class SeededIds:
    """Deterministic uuid4s from the seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def __call__(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"
