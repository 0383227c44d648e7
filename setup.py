"""The one build step pyproject.toml cannot declare: compiling the gettext catalogues.

Every metadata field lives in pyproject.toml; this file only adds the compiled ``.mo`` files
to what ``build_py`` puts in the wheel. They are build products (never committed), so
without this step a wheel built from a clean checkout or from the sdist (``python -m
build``, ``pip install .``, ``pip install git+…``) ships an English-only admin.

Why a ``build_py`` subclass with Babel rather than a plugin such as setuptools-gettext:
setuptools-gettext compiles with GNU gettext's ``msgfmt`` binary, or with translate-toolkit
when that is importable, and when neither is there it logs a warning and builds a wheel
without any ``.mo``, the very defect this step exists to prevent. Babel is pure Python
(declared in ``[build-system] requires``, so every build has it, no system package needed),
is what ``make messages`` (``pybabel compile``) already uses for editable installs, and
lets this step fail the build loudly on a catalogue it cannot compile.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

# Only the app's own catalogues: the demo shop's (demo_shop/shop/locale) is not packaged.
CATALOGUES = "zns_notify/locale/*/LC_MESSAGES/*.po"


def compile_catalogue(po_path: Path, mo_path: Path) -> None:
    """Write ``mo_path`` from ``po_path`` as ``pybabel compile`` does, but refuse (instead of
    skipping or warning) a catalogue that would not give the translations a user expects."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=po_path.parts[-3], abort_invalid=True)
    if catalog.fuzzy:
        raise SystemExit(f"{po_path}: the catalogue is marked fuzzy; it would not be compiled")
    problems = [
        f"{po_path}:{message.lineno}: {error}"
        for message, errors in catalog.check()
        for error in errors
    ]
    if problems:
        raise SystemExit("\n".join(["untranslatable catalogue entries:", *problems]))
    mo_path.parent.mkdir(parents=True, exist_ok=True)
    with mo_path.open("wb") as mo_file:
        write_mo(mo_file, catalog)


class BuildPyWithCatalogues(build_py):
    """``build_py``, then each ``django.po`` compiled next to its copy in the build tree."""

    def run(self) -> None:
        super().run()
        for po_path, in_source, in_build in self._catalogues():
            # An editable install (`pip install -e .`, as `make install` does) skips build_py's
            # copying and imports the package from the source tree: the .mo goes next to the
            # .po there (and strict editable mode links it into place through the mapping
            # below). Any other build writes it into the tree that becomes the wheel.
            compile_catalogue(po_path, in_source if self.editable_mode else in_build)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        compiled = [str(in_build) for _, _, in_build in self._catalogues()]
        return super().get_outputs(include_bytecode) + compiled

    def get_output_mapping(self) -> dict[str, str]:
        mapping = super().get_output_mapping()
        if self.editable_mode:
            mapping.update({str(b): str(s) for _, s, b in self._catalogues()})
        return mapping

    def _catalogues(self) -> list[tuple[Path, Path, Path]]:
        """(the .po, its .mo in the source tree, its .mo in the build tree) of each catalogue."""
        build_lib = Path(self.build_lib)
        return [
            (po, po.with_suffix(".mo"), build_lib / po.with_suffix(".mo"))
            for po in sorted(Path().glob(CATALOGUES))
        ]


# setuptools' build backend runs this file as __main__; tests import it for its functions.
if __name__ == "__main__":
    setup(cmdclass={"build_py": BuildPyWithCatalogues})
