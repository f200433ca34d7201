"""What a name looks like in a small space: the initials a picture without an image shows."""

from __future__ import annotations


def initials(name: str) -> str:
    """ "Maya Moreau" → "MM", "Brightwave" → "BR", "R2" → "R", "" → "?": first and last word's
    first letters, or a single word's first two (not when the second is a digit)."""
    words = [w for w in name.replace("-", " ").replace("_", " ").replace("&", " ").split() if w[:1].isalnum()]
    if not words:
        return "?"
    if len(words) == 1:
        word = words[0]
        return word[:2].upper() if len(word) > 1 and not word[1].isdigit() else word[:1].upper()
    return (words[0][0] + words[-1][0]).upper()
