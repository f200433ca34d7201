"""Where per-user files live: platformdirs' directories, or all under $ATTACHE_HOME."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "attache"


@dataclass(frozen=True, slots=True)
class AppDirs:
    config: Path
    data: Path
    cache: Path
    log: Path

    def ensure(self) -> AppDirs:
        for path in (self.config, self.data, self.cache, self.log):
            path.mkdir(parents=True, exist_ok=True)
        return self


def app_dirs() -> AppDirs:
    """The directories for this user; $ATTACHE_HOME (tests, portable installs) wins."""
    home = os.environ.get("ATTACHE_HOME")
    if home:
        root = Path(home).expanduser()
        return AppDirs(root / "config", root / "data", root / "cache", root / "log")
    from platformdirs import PlatformDirs

    dirs = PlatformDirs(APP_NAME, appauthor=False)
    return AppDirs(
        Path(dirs.user_config_dir),
        Path(dirs.user_data_dir),
        Path(dirs.user_cache_dir),
        Path(dirs.user_log_dir),
    )
