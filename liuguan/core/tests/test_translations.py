"""zh-hans is the default language and must be complete; the compiled catalogue must match its source."""

import ast
import gettext
from pathlib import Path

import pytest

LOCALES = sorted(Path(__file__).resolve().parents[2].glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))


def _entries(po: Path) -> dict[tuple[str | None, str, str | None], str]:
    """A small reader for the catalogue: (context, msgid, msgid_plural) -> msgstr (of a plural entry, its first
    form), with fuzzy entries marked.
    """
    entries, current, key, fuzzy = {}, {}, None, False
    for line in po.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith(("msgctxt ", "msgid ", "msgid_plural ", "msgstr ", "msgstr[")):
            key, value = line.split(" ", 1)
            key = "msgstr" if key == "msgstr[0]" else key
            current[key] = ast.literal_eval(value)
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
        elif not line.strip():
            if current.get("msgid"):
                entry = (current.get("msgctxt"), current["msgid"], current.get("msgid_plural"))
                entries[entry] = None if fuzzy else current.get("msgstr", "")
            current, key, fuzzy = {}, None, False
    return entries


@pytest.mark.parametrize("po", LOCALES, ids=lambda p: str(p.parent.parent.parent.parent.name))
def test_every_string_is_translated_and_compiled(po):
    entries = _entries(po)
    assert entries, po
    untranslated = [k for k, v in entries.items() if not v]
    assert untranslated == []
    with open(po.with_suffix(".mo"), "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for (context, msgid, plural), msgstr in entries.items():
        if plural:
            got = compiled.npgettext(context, msgid, plural, 1) if context else compiled.ngettext(msgid, plural, 1)
        else:
            got = compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)
        assert got == msgstr, f"{po.with_suffix('.mo')} is stale for {msgid!r}: run msgfmt"
