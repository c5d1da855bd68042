"""Spanish is complete: every string the code marks for translation has a Spanish text."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.missing import missing as tool_missing

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
SOURCES = ("manage.py", "portal", "postdicom", "orders", "folders", "sharing", "templates", "locale")

_ENTRY = re.compile(r'^(msgid|msgid_plural|msgstr(?:\[\d+\])?|msgctxt)\s+"(.*)"\s*$')
_CONTINUATION = re.compile(r'^"(.*)"\s*$')


def parse_po(path: Path) -> list[dict[str, str]]:
    """Entries of a .po file as dicts of keyword → text, with ``fuzzy`` set when flagged."""
    entries: list[dict[str, str]] = []
    current: dict[str, str] = {}
    key = ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if current:
                entries.append(current)
            current, key = {}, ""
        elif line.startswith("#,") and "fuzzy" in line:
            current["fuzzy"] = "yes"
        elif line.startswith("#"):
            continue
        elif match := _ENTRY.match(line):
            key = match.group(1)
            current[key] = match.group(2)
        elif (match := _CONTINUATION.match(line)) and key:
            current[key] += match.group(1)
    return [e for e in entries if e.get("msgid")]


def test_every_string_is_translated():
    entries = parse_po(CATALOGUE)
    assert entries, "the Spanish catalogue is empty"
    untranslated = [e["msgid"] for e in entries if not any(v for k, v in e.items() if k.startswith("msgstr"))]
    fuzzy = [e["msgid"] for e in entries if e.get("fuzzy")]
    assert not untranslated, f"untranslated: {untranslated[:20]}"
    assert not fuzzy, f"fuzzy (check and unflag): {fuzzy[:20]}"


def test_compiled_catalogue_is_current():
    """The committed .mo says what the .po says (``make messages`` compiles it)."""
    compiled = CATALOGUE.with_suffix(".mo")
    assert compiled.exists(), "run `make messages` to compile the catalogue"
    with compiled.open("rb") as handle:
        translations = gettext.GNUTranslations(handle)
    stale = [
        e["msgid"]
        for e in parse_po(CATALOGUE)
        if "msgstr" in e
        and "msgctxt" not in e
        and translations.gettext(_unescape(e["msgid"])) != _unescape(e["msgstr"])
    ]
    assert not stale, f"django.mo is older than django.po; run `make messages`: {stale[:10]}"


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text)


def test_catalogue_has_every_marked_string(tmp_path):
    """Extract the strings afresh from a copy of the code and compare with the catalogue."""
    if shutil.which("xgettext") is None:
        tool_missing("gettext is not installed (make browser installs it with the other system packages)")
    for name in SOURCES:
        source = ROOT / name
        target = tmp_path / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
        else:
            shutil.copy(source, target)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "es", "--no-obsolete"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    fresh = {e["msgid"] for e in parse_po(tmp_path / "locale" / "es" / "LC_MESSAGES" / "django.po")}
    known = {e["msgid"] for e in parse_po(CATALOGUE)}
    missing = sorted(fresh - known)
    assert not missing, f"run `make messages` and translate: {missing[:20]}"


def test_spanish_says_subir_and_subida_for_upload() -> None:
    """ "Carga" is an odd word for an upload: "Subir" for the action, "Subida" for the thing."""
    entries = [e for e in parse_po(CATALOGUE) if re.search(r"\bupload", e.get("msgid", ""), re.IGNORECASE)]
    assert entries
    odd = [e["msgid"] for e in entries if re.search(r"\bcarg", e.get("msgstr", ""), re.IGNORECASE)]
    assert odd == []
    texts = {(e.get("msgctxt", ""), e["msgid"]): e.get("msgstr", "") for e in entries}
    assert texts[("", "Upload")] == "Subir"
    assert texts[("noun: one upload batch", "Upload")] == "Subida"
    assert texts[("", "Uploads")] == "Subidas"
