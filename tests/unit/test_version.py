"""The version the app shows is the one it is installed as."""

from importlib import metadata

from attache import __version__
from attache.appid import DISTRIBUTION, version


def test_the_shown_version_is_the_installed_distributions():
    assert version() == __version__ == metadata.version(DISTRIBUTION)
