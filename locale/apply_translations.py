"""Write locale/id_translations.py into the Indonesian .po file and report what is missing.

Usage (from the project root, after `manage.py makemessages`): python locale/apply_translations.py
Needs polib (a developer tool, not a runtime dependency: the compiled .mo files are committed)."""

import sys
from pathlib import Path

import polib

sys.path.insert(0, str(Path(__file__).parent))
from id_translations import ID

po = polib.pofile(Path(__file__).parent / "id/LC_MESSAGES/django.po")
missing = []
for entry in po:
    key = (entry.msgid, entry.msgid_plural) if entry.msgid_plural else entry.msgid
    if key not in ID:
        missing.append(entry.msgid)
        continue
    if entry.msgid_plural:
        entry.msgstr_plural = dict(enumerate(ID[key]))
    else:
        entry.msgstr = ID[key]
    if "fuzzy" in entry.flags:
        entry.flags.remove("fuzzy")
po.metadata["Language"] = "id"
po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
po.save()
if missing:
    print("Untranslated:", *missing, sep="\n  ")
    sys.exit(1)
print(f"{len(po)} Indonesian strings written.")
