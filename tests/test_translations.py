"""The zh-hans catalogue (locale/zh_Hans): complete, faithful to its English
source strings, compiled, and saying the contract labels of DESIGN §3 and §4.

The .po file is read with a small reader of our own (the format is simple and
the standard library has none), and the committed .mo with the standard
library's ``gettext.GNUTranslations``, the reader Django itself uses."""

import gettext
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import translation

from accounts.choices import Role
from wells.choices import Category, OwnerKind, Status, Use, Zone

BASE_DIR = Path(django_settings.BASE_DIR)
PO_PATH = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

# A printf-style conversion as Python's % operator reads it, named or not.
PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?P<type>[diouxXeEfFgGcrsa%])")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict = field(default_factory=dict)
    flags: set = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self):
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"

    def __str__(self):
        return repr(self.msgid if self.msgid_plural is None else (self.msgid, self.msgid_plural))


def _unquote(text):
    """The value of one quoted .po string, its C escapes undone."""
    if not (len(text) >= 2 and text[0] == text[-1] == '"'):
        raise ValueError(f"not a quoted string: {text!r}")
    return re.sub(r"\\(.)", lambda match: ESCAPES[match.group(1)], text[1:-1])


def read_po(path):
    """The entries of a .po file, the header (msgid "") first."""
    entries = []
    entry, target = Entry(), None

    def finish():
        nonlocal entry, target
        if target is not None:
            entries.append(entry)
        entry, target = Entry(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            continue
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        match = re.fullmatch(r'(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")', line)
        try:
            if match:
                keyword, index, value = match.groups()
                if keyword in ("msgctxt", "msgid") and target is not None and target[0] == "msgstr":
                    finish()
                target = (keyword, int(index or 0))
                _append(entry, target, _unquote(value), reset=True)
            elif line.startswith('"') and target is not None:
                _append(entry, target, _unquote(line), reset=False)
            else:
                raise ValueError(f"unexpected line {line!r}")
        except (KeyError, ValueError) as error:
            raise AssertionError(f"{path.name}:{number}: {error}") from None
    finish()
    return entries


def _append(entry, target, value, *, reset):
    keyword, index = target
    if keyword == "msgstr":
        entry.msgstr[index] = value if reset else entry.msgstr[index] + value
    else:
        attribute = {"msgctxt": "msgctxt", "msgid": "msgid", "msgid_plural": "msgid_plural"}[keyword]
        setattr(entry, attribute, value if reset else getattr(entry, attribute) + value)


def catalog_of(entries):
    """What a compiled catalogue holds for these entries, keyed the way
    ``GNUTranslations`` keys them: fuzzy and empty translations are left
    out, as msgfmt leaves them out."""
    catalog = {}
    for entry in entries:
        if entry.obsolete or ("fuzzy" in entry.flags and entry.msgid):
            continue
        if entry.msgid_plural is None:
            if entry.msgstr.get(0):
                catalog[entry.key] = entry.msgstr[0]
        elif all(entry.msgstr.values()):
            catalog.update({(entry.key, index): text for index, text in entry.msgstr.items()})
    return catalog


@pytest.fixture(scope="module")
def entries():
    return read_po(PO_PATH)


@pytest.fixture(scope="module")
def messages(entries):
    """Every live entry but the header."""
    return [entry for entry in entries if entry.msgid and not entry.obsolete]


def placeholders(text):
    return {match.group(0) for match in PLACEHOLDER.finditer(text) if match.group("name") is not None}


def test_the_reader_undoes_the_escapes_of_a_po_file(tmp_path):
    po = tmp_path / "x.po"
    po.write_text(
        '#, fuzzy\nmsgid ""\nmsgstr "Language: zh_Hans\\n"\n\n'
        '#: a.py:1\n#, python-format\nmsgid ""\n"Say \\"%(name)s\\"\\n"\n"twice"\nmsgstr "说\\t“%(name)s”"\n\n'
        'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "多"\n',
        encoding="utf-8",
    )
    header, quoted, plural = read_po(po)
    assert (header.msgid, header.msgstr, header.flags) == ("", {0: "Language: zh_Hans\n"}, {"fuzzy"})
    assert (quoted.msgid, quoted.msgstr, quoted.flags) == (
        'Say "%(name)s"\ntwice',
        {0: "说\t“%(name)s”"},
        {"python-format"},
    )
    assert (plural.msgid_plural, plural.msgstr) == ("many", {0: "多"})


def test_the_catalogue_has_messages_and_a_chinese_header(entries, messages):
    header = entries[0]
    assert header.msgid == ""
    assert "fuzzy" not in header.flags, "the header is marked fuzzy: msgfmt would drop it"
    fields = dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line)
    assert fields["Language"] == "zh_Hans"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"] == "nplurals=1; plural=0;"
    assert len(messages) > 300


def test_every_message_is_translated_and_none_is_fuzzy(messages):
    untranslated = [str(entry) for entry in messages if not all(entry.msgstr.values()) or not entry.msgstr]
    fuzzy = [str(entry) for entry in messages if "fuzzy" in entry.flags]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"


def test_the_catalogue_holds_no_obsolete_entries(entries):
    assert not [str(entry) for entry in entries if entry.obsolete]


def test_plural_messages_have_the_one_form_chinese_has(messages):
    wrong = [str(entry) for entry in messages if entry.msgid_plural is not None and set(entry.msgstr) != {0}]
    assert not wrong


def test_translations_keep_the_named_placeholders_of_their_source(messages):
    wrong = []
    for entry in messages:
        source = placeholders(entry.msgid) | placeholders(entry.msgid_plural or "")
        for text in entry.msgstr.values():
            if placeholders(text) != source:
                wrong.append(f"{entry}: {sorted(placeholders(text))} instead of {sorted(source)}")
    assert not wrong, "\n".join(wrong)


def test_python_format_translations_format_as_their_source_does(messages):
    """A stray % in a translation (完成率 50%) would break the % operator
    where the English does not."""
    broken = []
    for entry in (entry for entry in messages if "python-format" in entry.flags):
        values, positional = {}, []
        for match in PLACEHOLDER.finditer(entry.msgid + (entry.msgid_plural or "")):
            if match.group("name") is not None:
                values[match.group("name")] = 7 if match.group("type") in "diouxX" else "x"
        for match in PLACEHOLDER.finditer(entry.msgid):
            if match.group("name") is None and match.group("type") != "%":
                # Django's own messages: "at least %d characters".
                positional.append(7 if match.group("type") in "diouxX" else "x")
        if positional:
            values = tuple(positional)
        for text in entry.msgstr.values():
            try:
                text % values
            except (KeyError, TypeError, ValueError) as error:
                broken.append(f"{entry}: {error!r}")
    assert not broken, "\n".join(broken)


def test_the_compiled_catalogue_is_the_po_file_compiled():
    """The committed .mo says exactly what the .po says: run
    ``make messages`` (or compilemessages) after editing the .po."""
    with MO_PATH.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    expected = catalog_of(read_po(PO_PATH))
    # makemessages stamps the header with the time it ran: not content.
    assert _undated(compiled._catalog.pop("")) == _undated(expected.pop(""))
    assert compiled._catalog == expected
    assert compiled.plural(1) == compiled.plural(5) == 0


def _undated(header):
    return [line for line in header.splitlines() if not line.startswith(("POT-Creation-Date:", "PO-Revision-Date:"))]


STATUS_LABELS = {
    Status.INVENTORIED: "已排查登记",
    Status.NOTIFIED: "已下达关停通知",
    Status.LICENSE_REVOKED: "已注销取水许可",
    Status.DISCONNECTED: "已断电拆除",
    Status.SEALED: "已封填",
    Status.ACCEPTED: "已验收销号",
    Status.RETAINED: "保留",
    Status.REACTIVATED: "复启待处置",
}
CONTRACT_LABELS = [
    (Status, STATUS_LABELS),
    (Category, {Category.UNLICENSED: "未经审批", Category.LICENSED: "有证不合规", Category.RETAINED: "保留"}),
    (
        Use,
        {
            Use.DOMESTIC: "生活",
            Use.GREENING: "绿化",
            Use.LIVESTOCK: "养殖",
            Use.IRRIGATION: "农灌",
            Use.INDUSTRIAL: "工业",
            Use.EMERGENCY: "城市应急水源",
        },
    ),
    (Zone, {Zone.PROHIBITED: "禁采区", Zone.RESTRICTED: "限采区"}),
    (
        OwnerKind,
        {
            OwnerKind.PERSON: "个人",
            OwnerKind.ENTERPRISE: "企业",
            OwnerKind.INSTITUTION: "事业单位",
            OwnerKind.COLLECTIVE: "村集体",
        },
    ),
    (
        Role,
        {
            Role.BUREAU_ADMIN: "水利局管理员",
            Role.BUREAU_STAFF: "水利局工作人员",
            Role.TOWNSHIP_OFFICER: "乡镇（街道）专干",
            Role.UNIT_MEMBER: "成员单位",
            Role.LEADER: "领导",
        },
    ),
]


@pytest.mark.parametrize(("choices", "labels"), CONTRACT_LABELS, ids=lambda value: getattr(value, "__name__", None))
def test_the_contract_labels_render_in_chinese(choices, labels):
    assert set(labels) == set(choices), "a code of the contract is missing from this test or from the choices"
    with translation.override("zh-hans"):
        assert {member: str(member.label) for member in choices} == labels
        assert dict(choices.choices) == {member.value: label for member, label in labels.items()}


def test_the_status_labels_stay_english_on_request():
    with translation.override("en"):
        assert str(Status.NOTIFIED.label) == "Closure notice served"
    with translation.override("zh-hans"):
        assert str(Status.NOTIFIED.label) == "已下达关停通知"


# What ``makemessages`` must not read: it runs in a copy of the project.
NOT_SOURCE = {".venv", ".git", "tests", "bench", "artifacts", "docs", "var", "locale", "node_modules", "media"}


@pytest.mark.skipif(
    not (shutil.which("xgettext") and shutil.which("msgmerge") and shutil.which("msguniq")),
    reason="GNU gettext is not installed (apt-get install gettext)",
)
def test_makemessages_finds_no_message_missing_from_the_catalogue(tmp_path, monkeypatch, settings):
    """Every English string of the code and templates is in the catalogue and
    nothing else: otherwise run ``make messages`` and translate the new ones."""
    base = BASE_DIR
    project = tmp_path / "project"
    shutil.copytree(
        base,
        project,
        ignore=lambda directory, names: [
            name
            for name in names
            if (Path(directory) == base and name in NOT_SOURCE)
            or name.startswith(".")
            or name in {"__pycache__", "vendor"}
            or Path(name).suffix in {".sqlite3", ".png", ".jpg", ".xlsx", ".docx", ".mo"}
        ],
    )
    copied_po = project / PO_PATH.relative_to(base)
    copied_po.parent.mkdir(parents=True)
    shutil.copyfile(PO_PATH, copied_po)
    settings.LOCALE_PATHS = [project / "locale"]
    monkeypatch.chdir(project)

    call_command("makemessages", locale=["zh_Hans"], no_obsolete=True, verbosity=0)

    committed = {entry.key for entry in read_po(PO_PATH) if entry.msgid}
    found = {entry.key for entry in read_po(copied_po) if entry.msgid and not entry.obsolete}
    assert sorted(found - committed) == [], "new messages: run `make messages` and translate them"
    assert sorted(committed - found) == [], "messages no longer in the code: run `make messages`"


# Django's and the libraries' strings the pages show -------------------------------


def _is_chinese(text):
    return re.search(r"[\u4e00-\u9fff]", str(text)) is not None


def test_the_libraries_strings_the_pages_show_read_chinese():
    from accounts.library_strings import AXES_APP_NAME, LIBRARY_STRINGS, PASSWORD_TOO_SHORT

    with translation.override("zh-hans"):
        english = [str(text) for text in [*LIBRARY_STRINGS, AXES_APP_NAME] if not _is_chinese(text)]
        assert english == []
        assert _is_chinese(PASSWORD_TOO_SHORT)


def test_djangos_own_password_messages_read_chinese(db):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        validate_password("abc1")
    assert refused.value.messages
    assert [message for message in refused.value.messages if not _is_chinese(message)] == []


def test_the_admin_names_the_lockout_app_and_the_role_groups_in_chinese(client, db):
    from django.contrib.auth.models import Group

    from accounts.admin import role_label
    from tests.factories import UserFactory

    admin_user = UserFactory(username="root", role=Role.BUREAU_ADMIN, is_superuser=True, is_staff=True)
    client.force_login(admin_user)
    with translation.override("zh-hans"):
        index = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        add_user = client.get("/admin/accounts/user/add/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        labels = {role_label(group) for group in Group.objects.filter(name__in=Role.values)}
    assert "登录锁定" in index and "Axes" not in index
    assert "Access attempts" not in index
    assert labels == {"水利局管理员", "水利局工作人员", "乡镇（街道）专干", "成员单位", "领导"}
    assert "水利局管理员" in add_user
    assert ">bureau_admin<" not in add_user
