"""The build step pyproject.toml cannot declare: what an installed service needs
beside its Python modules, made when a wheel is built (from the checkout or from
the sdist), so that `pip install .` or a wheel runs with no `make`:

- the interface catalogues compiled from their .po files (the .mo files stay out of
  git; campaign.core.i18n refuses to start without them);
- templates/, letters/ and migrations/ copied into the package, under
  campaign/bundled/, where campaign.core.resources looks for them first.

Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
TRANSLATIONS = Path("campaign", "translations")
SHIPPED = ("templates", "letters", "migrations")  # as campaign.core.resources.SHIPPED


def compile_catalogues(source: Path, target: Path) -> list[Path]:
    """Every <lang>/LC_MESSAGES/messages.po under ``source`` compiled to the same
    place under ``target``, fuzzy entries left out (as `pybabel compile` does)."""
    written = []
    for po in sorted(source.glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parts[-3])
        mo = target / po.relative_to(source).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        written.append(mo)
    return written


class BuildWithCatalogues(build_py):
    def run(self):
        super().run()
        if self.editable_mode:
            # An editable install runs from the checkout, which keeps its folders where
            # they are; compile in place, as `make translations` does.
            compile_catalogues(HERE / TRANSLATIONS, HERE / TRANSLATIONS)
            return
        package = Path(self.build_lib) / "campaign"
        compile_catalogues(HERE / TRANSLATIONS, Path(self.build_lib) / TRANSLATIONS)
        for name in SHIPPED:
            target = package / "bundled" / name
            shutil.rmtree(target, ignore_errors=True)  # nothing left from an earlier build
            shutil.copytree(
                HERE / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )


setup(cmdclass={"build_py": BuildWithCatalogues})
