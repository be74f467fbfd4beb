"""The documentation keeps up with the code where that is cheap to check: every setting
campaign/core/config.py reads is in the operator's guide with its default, the README stays
short and sends readers to the site, the site builds strictly, every path it names
exists, and the modules picture follows the import-linter layers."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from campaign.core import config

from .conftest import ROOT

DOCS = ROOT / "docs"
CONFIGURATION = DOCS / "operators" / "configuration.md"
README_MAX_LINES = 200
# Named by the architecture page's feature layout before the package has it; an entry
# here that exists fails the test, so the list empties itself as the layout lands.
NOT_YET_IN_THE_PACKAGE: set[str] = set()
# env_str("NAME", ...), env_int("NAME", ...) and the like: what the app reads.
_READ = re.compile(r'env_(?:str|int|float|bool)\(\s*"([A-Z0-9_]+)"')


def settings_read_by_config() -> set[str]:
    return set(_READ.findall(Path(config.__file__).read_text(encoding="utf-8")))


def test_every_setting_config_reads_is_in_the_operators_guide():
    names = settings_read_by_config()
    assert len(names) > 40, names  # the pattern still finds them
    guide = CONFIGURATION.read_text(encoding="utf-8")
    missing = sorted(name for name in names if f"`{name}`" not in guide)
    assert not missing, f"settings missing from {CONFIGURATION.relative_to(ROOT)}: {missing}"


def test_the_guide_states_the_defaults_config_applies(monkeypatch):
    """A setting's row names the default load_config gives it when the variable is unset."""
    for name in settings_read_by_config():
        monkeypatch.delenv(name, raising=False)
    loaded = config.load_config("/nonexistent", {"ENV": "testing"})
    guide = CONFIGURATION.read_text(encoding="utf-8")
    rows = {
        name: line
        for line in guide.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`([A-Z0-9_]+)`", line.split("|")[1])
    }
    checked = 0
    for name in settings_read_by_config():
        value = loaded.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        assert f"`{shown}`" in rows[name].split("|")[-2], f"{name}: default {shown}: {rows[name]}"
        checked += 1
    assert checked > 30


def test_readme_is_short_and_points_at_the_site():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < README_MAX_LINES
    # The two commands, exactly as CI and newcomers use them.
    assert "make run     #" in readme and "make test    #" in readme
    for page in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (ROOT / page).exists(), page
    assert "make docs" in readme


def test_every_path_the_docs_name_exists():
    """A module moved or renamed must take its mention in the docs along."""
    named = set()
    for page in DOCS.rglob("*.md"):
        named |= set(re.findall(r"`((?:campaign|tests|bench)/[\w/.-]+\.py)", page.read_text()))
    assert named
    missing = sorted(path for path in named if not (ROOT / path).exists())
    assert set(missing) <= NOT_YET_IN_THE_PACKAGE, (
        f"the docs name files that do not exist: {missing}"
    )
    landed = sorted(NOT_YET_IN_THE_PACKAGE - set(missing))
    assert not landed, f"now in the package, take them out of NOT_YET_IN_THE_PACKAGE: {landed}"


def test_every_screenshot_the_guides_show_exists():
    for page in DOCS.rglob("*.md"):
        for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text()):
            assert (page.parent / image).resolve().exists(), f"{page.name}: {image}"


def test_the_modules_picture_follows_the_layers_contract():
    contracts = (
        tomllib.loads((ROOT / "pyproject.toml").read_text())
        .get("tool", {})
        .get("importlinter", {})
        .get("contracts", [])
    )
    layers = next((c["layers"] for c in contracts if c.get("type") == "layers"), None)
    if layers is None:
        pytest.skip("pyproject.toml has no import-linter layers contract to compare with")
    page = (DOCS / "architecture" / "index.md").read_text()
    picture = page.split("<!-- layers:", 1)[1].split("```", 2)[1]
    drawn = re.findall(r"^\s*│ (\w+)\s", picture, re.M)
    features = [layer.rsplit(".", 1)[-1] for layer in layers]
    assert [name for name in features if name in drawn] == drawn, (drawn, layers)


def test_the_site_builds_strictly(tmp_path):
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    if mkdocs is None:
        pytest.skip("mkdocs is not installed here: `make docs` installs it (the docs extra)")
    result = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
