"""setup.py's build step: the Vietnamese catalogue compiled into the wheel, and refused
(failing the build) rather than shipped half-working."""

from __future__ import annotations

import gettext
import importlib.util

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def compile_catalogue():
    spec = importlib.util.spec_from_file_location("zns_setup", ROOT / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.compile_catalogue


HEADER = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Language: vi\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"
{flags}
msgid "Hello %(name)s"
msgstr "{translation}"
"""


def write_po(tmp_path, translation: str, flags: str = "") -> tuple:
    po = tmp_path / "vi" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text(HEADER.format(flags=flags, translation=translation), encoding="utf-8")
    return po, po.with_suffix(".mo")


def test_a_good_catalogue_compiles_to_a_mo_gettext_reads(tmp_path, compile_catalogue):
    po, mo = write_po(tmp_path, "Xin chào %(name)s")
    compile_catalogue(po, mo)
    with mo.open("rb") as compiled:
        assert gettext.GNUTranslations(compiled).gettext("Hello %(name)s") == "Xin chào %(name)s"


def test_a_translation_with_another_placeholder_fails_the_build(tmp_path, compile_catalogue):
    po, mo = write_po(tmp_path, "Xin chào %(ten)s")
    with pytest.raises(SystemExit, match="unknown named placeholder 'ten'"):
        compile_catalogue(po, mo)
    assert not mo.exists()


def test_a_catalogue_marked_fuzzy_fails_the_build(tmp_path, compile_catalogue):
    po, mo = write_po(tmp_path, "Xin chào %(name)s")
    po.write_text("#, fuzzy\n" + po.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(SystemExit, match="marked fuzzy"):
        compile_catalogue(po, mo)
    assert not mo.exists()
