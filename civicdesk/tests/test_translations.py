"""The Spanish catalogue is complete and its compiled form is the one in the repository."""

import shutil
import subprocess
from pathlib import Path

from django.conf import settings

from conftest import require_component

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES"


def msgfmt(*args):
    program = shutil.which("msgfmt")
    if program is None:
        require_component("msgfmt (Debian package gettext)")
    return subprocess.run([program, *args], capture_output=True, text=True, check=True)  # noqa: S603


def test_it_has_every_message_translated_to_spanish():
    catalogue = str(CATALOGUE / "django.po")
    statistics = msgfmt("--statistics", "--check-format", "-o", "/dev/null", catalogue).stderr
    assert "translated message" in statistics
    assert "fuzzy" not in statistics and "untranslated" not in statistics, statistics


def test_it_ships_the_compiled_catalogue_of_the_current_messages(tmp_path):
    compiled = tmp_path / "django.mo"
    msgfmt("-o", str(compiled), str(CATALOGUE / "django.po"))
    assert compiled.read_bytes() == (CATALOGUE / "django.mo").read_bytes(), "run `make messages`"
