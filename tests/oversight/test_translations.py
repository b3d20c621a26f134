"""The translation catalogues: Chinese (the default) is complete, compiled, and served.

The .po parser is written here, with no external package, so that the check runs on any machine.
"""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

LOCALE = Path(settings.LOCALE_PATHS[0])
ZH_PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
ZH_MO = ZH_PO.with_suffix(".mo")
EN_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"

# %(name)s, %(count)d, %(amount).2f … as Python's %-formatting with a mapping reads them.
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    def label(self) -> str:
        context = f" [{self.msgctxt}]" if self.msgctxt is not None else ""
        return f"line {self.line}: {self.msgid!r}{context}"


def _unquote(quoted: str) -> str:
    body = quoted.strip()
    assert body.startswith('"') and body.endswith('"'), f"not a quoted string: {quoted}"
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """The live entries of a .po file: obsolete `#~` entries and other comments are skipped."""
    entries: list[Entry] = []
    current: Entry | None = None
    pending_flags: set[str] = set()
    target: tuple[str, int] | None = None  # the field a "..." continuation line extends

    def append(name: str, index: int, text: str) -> None:
        assert current is not None
        if name == "msgstr":
            current.msgstr[index] = current.msgstr.get(index, "") + text
        else:
            setattr(current, name, (getattr(current, name) or "") + text)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            target = None
            continue
        if line.startswith("#,"):
            pending_flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            assert target is not None, f"{path}:{number}: a continuation line with no keyword"
            append(*target, _unquote(line))
            continue
        match = _KEYWORD.match(line)
        assert match, f"{path}:{number}: cannot read {raw!r}"
        keyword, index, quoted = match.groups()
        name = "msgstr" if keyword.startswith("msgstr") else keyword
        # msgctxt or msgid opens an entry, unless it follows the msgctxt of an unfinished one
        if current is None or (name in ("msgctxt", "msgid") and current.msgstr):
            current = Entry(line=number, flags=pending_flags)
            entries.append(current)
            pending_flags = set()
        target = (name, int(index or 0))
        if name == "msgstr":
            current.msgstr.setdefault(target[1], "")
        elif getattr(current, name) is None:
            setattr(current, name, "")
        append(*target, _unquote(quoted))
    return entries


def _header(entries: list[Entry]) -> tuple[Entry, str]:
    header = next(entry for entry in entries if entry.is_header)
    return header, header.msgstr.get(0, "")


def _placeholders(text: str) -> set[str]:
    return {match.group(0) for match in PLACEHOLDER.finditer(text)}


# --- the parser itself ------------------------------------------------------------------------


def test_parser_reads_context_plurals_flags_and_continuation_lines(tmp_path):
    # given a catalogue with a header, a context, a plural, a fuzzy flag and wrapped strings
    po = tmp_path / "django.po"
    po.write_text(
        "\n".join(
            [
                "#, fuzzy",
                'msgid ""',
                'msgstr ""',
                '"Plural-Forms: nplurals=1; plural=0;\\n"',
                "",
                "#: villages/models.py",
                "#, python-format",
                'msgctxt "person"',
                'msgid ""',
                '"Name of %(who)s"',
                'msgstr "%(who)s的"',
                '"姓名"',
                "",
                "#, fuzzy, python-format",
                'msgid "%(n)s village"',
                'msgid_plural "%(n)s villages"',
                'msgstr[0] ""',
                "",
                '#~ msgid "Gone"',
                '#~ msgstr "已删除"',
                'msgid "Say \\"yes\\""',
                'msgstr "说\\"是\\""',
                "",
            ]
        ),
        encoding="utf-8",
    )

    # when it is parsed
    header, named, plural, quoted = parse_po(po)

    # then every part lands in its entry
    assert header.is_header
    assert header.flags == {"fuzzy"}
    assert header.msgstr == {0: "Plural-Forms: nplurals=1; plural=0;\n"}
    assert (named.msgctxt, named.msgid, named.msgstr) == (
        "person",
        "Name of %(who)s",
        {0: "%(who)s的姓名"},
    )
    assert named.flags == {"python-format"}
    assert not named.is_header
    assert (plural.msgid_plural, plural.msgstr, plural.flags) == (
        "%(n)s villages",
        {0: ""},
        {"fuzzy", "python-format"},
    )
    assert (quoted.msgid, quoted.msgstr) == ('Say "yes"', {0: '说"是"'})


# --- the Chinese catalogue ----------------------------------------------------------------------


def test_every_chinese_entry_is_translated_and_none_is_fuzzy():
    # given the Chinese catalogue
    entries = parse_po(ZH_PO)
    assert len(entries) > 1, "the catalogue has no messages: run `make messages`"

    # when we look for entries Django would not use
    empty = [
        entry.label()
        for entry in entries
        if not entry.is_header
        and (not entry.msgstr or any(text == "" for text in entry.msgstr.values()))
    ]
    fuzzy = [entry.label() for entry in entries if "fuzzy" in entry.flags]

    # then there are none: an empty msgstr shows English, a fuzzy one is ignored by Django
    assert empty == [], "untranslated entries:\n" + "\n".join(empty)
    assert fuzzy == [], "fuzzy entries (remove the flag once checked):\n" + "\n".join(fuzzy)


def test_chinese_plural_entries_have_exactly_the_one_form_of_the_header():
    # given the Chinese catalogue
    entries = parse_po(ZH_PO)
    _entry, header = _header(entries)

    # when we read its plural rule and its plural entries
    plurals = [entry for entry in entries if entry.msgid_plural is not None]

    # then Chinese has one form, and each plural entry gives exactly that one
    assert "Plural-Forms: nplurals=1; plural=0;" in header
    wrong = [entry.label() for entry in plurals if sorted(entry.msgstr) != [0]]
    assert wrong == [], "plural entries without exactly msgstr[0]:\n" + "\n".join(wrong)


def test_catalogue_headers_are_final_and_utf8():
    for path in (ZH_PO, EN_PO):
        # given a catalogue's header entry
        entry, header = _header(parse_po(path))

        # then it is not fuzzy (msgfmt would drop it) and declares UTF-8
        assert "fuzzy" not in entry.flags, f"{path}: the header is fuzzy"
        assert "charset=UTF-8" in header, f"{path}: the header does not declare UTF-8"


def test_chinese_translations_keep_every_placeholder_of_their_msgid():
    # given the Chinese catalogue
    entries = [entry for entry in parse_po(ZH_PO) if not entry.is_header]

    # when each translation's placeholders are compared with its msgid's
    broken = []
    for entry in entries:
        source = _placeholders(entry.msgid) | _placeholders(entry.msgid_plural or "")
        for index, text in sorted(entry.msgstr.items()):
            found = _placeholders(text)
            if found != source:
                broken.append(
                    f"{entry.label()} msgstr[{index}]: "
                    f"missing {sorted(source - found)}, unknown {sorted(found - source)}"
                )

    # then none is lost or misspelt: a lost one drops data, an unknown one raises KeyError
    assert broken == [], "placeholders differ:\n" + "\n".join(broken)


def test_compiled_chinese_catalogue_matches_the_po_file():
    # given the .po entries and the committed .mo, read with the standard library only
    entries = [entry for entry in parse_po(ZH_PO) if not entry.is_header]
    with ZH_MO.open("rb") as stream:
        compiled = gettext.GNUTranslations(stream)

    # when each entry is looked up in the .mo
    stale = []
    for entry in entries:
        if entry.msgid_plural is None:
            if entry.msgctxt is None:
                got = compiled.gettext(entry.msgid)
            else:
                got = compiled.pgettext(entry.msgctxt, entry.msgid)
            if got != entry.msgstr.get(0):
                stale.append(f"{entry.label()}: .mo gives {got!r}")
            continue
        for n in (0, 1, 2, 5, 11, 21, 101):
            form = entry.msgstr.get(compiled.plural(n))
            if entry.msgctxt is None:
                got = compiled.ngettext(entry.msgid, entry.msgid_plural, n)
            else:
                got = compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
            if got != form:
                stale.append(f"{entry.label()} (n={n}): .mo gives {got!r}")

    # then it gives the .po's translation: a forgotten compilemessages fails here
    assert stale == [], (
        "the .mo is older than the .po; run `manage.py compilemessages`:\n" + "\n".join(stale)
    )


# --- what a visitor sees -------------------------------------------------------------------------


def test_login_page_is_chinese_by_default_and_english_once_chosen(client, db):
    # given a visitor who has not chosen a language
    # when they open the login page
    chinese = client.get("/accounts/login/").content.decode()

    # then it is in Chinese
    assert "登录" in chinese
    assert "Log in" not in chinese

    # when they choose English and open it again
    chosen = client.post("/i18n/setlang/", {"language": "en"})
    english = client.get("/accounts/login/").content.decode()

    # then it is in English
    assert chosen.status_code == 302
    assert "Log in" in english
    assert "登录" not in english
