"""Set translations of given msgids in a .po catalogue (used when adding a few strings).

    python tools/fill_po.py LANG JSON_FILE   # JSON: {"msgid": "translation", ...}
"""

import json
import sys

from babel.messages.pofile import read_po, write_po

lang, table = sys.argv[1], json.load(open(sys.argv[2], encoding="utf-8"))
path = f"src/keruen/i18n/locales/{lang}/LC_MESSAGES/keruen.po"
with open(path, "rb") as fh:
    catalog = read_po(fh, locale=lang)
for msgid, text in table.items():
    catalog[msgid].string = text
    catalog[msgid].flags.discard("fuzzy")
with open(path, "wb") as fh:
    write_po(fh, catalog, sort_output=True, omit_header=False, width=100)
