"""The libraries Attaché runs on and their licences, read from the installed distributions'
metadata (the bundle carries the same metadata), for the About dialog."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata

from attache.appid import DISTRIBUTION

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True, slots=True)
class Library:
    name: str
    version: str
    licence: str


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _licence(meta) -> str:
    expression = meta.get("License-Expression")
    if expression:
        return str(expression).strip()
    text = (meta.get("License") or "").strip()
    if text and "\n" not in text and len(text) <= 60:
        return text
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    if classifiers:
        return ", ".join(classifiers)
    return text.splitlines()[0][:60] if text else "see its metadata"


def _requirements(distribution: metadata.Distribution) -> list[str]:
    names = []
    for requirement in distribution.requires or []:
        if re.search(r"\bextra\s*==", requirement):
            continue
        marker = requirement.partition(";")[2]
        if marker and not _marker_holds(marker):
            continue
        match = _NAME.match(requirement)
        if match:
            names.append(match.group(1))
    return names


def _marker_holds(marker: str) -> bool:
    """The few markers the dependency tree uses (platform, python version); unknown ones count."""
    import platform
    import sys

    wanted = re.findall(r"sys_platform\s*==\s*['\"]([^'\"]+)['\"]", marker)
    if wanted and sys.platform not in wanted:
        return False
    unwanted = re.findall(r"sys_platform\s*!=\s*['\"]([^'\"]+)['\"]", marker)
    if sys.platform in unwanted:
        return False
    systems = re.findall(r"platform_system\s*==\s*['\"]([^'\"]+)['\"]", marker)
    if systems and platform.system() not in systems:
        return False
    below = re.findall(r"python_version\s*<\s*['\"]([0-9.]+)['\"]", marker)
    current = sys.version_info[:2]
    return not any(current >= tuple(int(p) for p in v.split(".")) for v in below)


def libraries(root: str = DISTRIBUTION) -> list[Library]:
    """Every distribution `root` depends on (transitively), with its version and licence."""
    seen: dict[str, Library] = {}
    pending = [root]
    while pending:
        name = pending.pop()
        key = _canonical(name)
        if key in seen:
            continue
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[key] = Library(
            distribution.metadata["Name"] or name, distribution.version, _licence(distribution.metadata)
        )
        pending.extend(_requirements(distribution))
    seen.pop(_canonical(root), None)
    return sorted(seen.values(), key=lambda library: library.name.lower())
