"""Where the app finds the folders it reads beside its code: templates/, letters/
and migrations/.

In a checkout they sit at the top of the repository, next to the package. A wheel
carries them inside the package, under campaign/bundled/ (setup.py copies them in
when the wheel is built), so that an installed app needs no checkout.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
BUNDLED = PACKAGE / "bundled"
SHIPPED = ("templates", "letters", "migrations")


def resource_dir(name: str) -> Path:
    """The folder ``name`` (one of SHIPPED): inside the installed package when it was
    built into it, else beside the package, as in a checkout."""
    if name not in SHIPPED:
        raise ValueError(f"not a folder the package ships: {name!r}")
    bundled = BUNDLED / name
    return bundled if bundled.is_dir() else PACKAGE.parent / name
