"""Checks any page must pass in the browser: labels, text alternatives, headings,
no inline code, no sideways scrolling on a phone, touch targets, contrast."""

from __future__ import annotations

from pathlib import Path

# Runs in the page; returns a list of problems, each a short sentence.
_AUDIT = (Path(__file__).with_name("audit.js")).read_text(encoding="utf-8")


def audit(page, width: int | None = 360) -> None:
    """Fail with every accessibility or policy problem found on the page as shown;
    ``width`` is the widest the page may be (None: do not check)."""
    page.wait_for_load_state("load")  # the style sheet applied, not just the DOM parsed
    problems = page.evaluate(_AUDIT, width)
    assert not problems, f"{page.url}:\n" + "\n".join(problems)


def check_keyboard_start(page) -> None:
    """The first Tab reaches the skip link, which moves focus to the main content;
    the focused control shows a visible outline."""
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip')"), (
        "first Tab: not the skip link"
    )
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), "focus is not visible on the skip link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main", "the skip link does not move focus"
    page.keyboard.press("Tab")
    inside = page.evaluate("document.getElementById('main').contains(document.activeElement)")
    assert inside, "after skipping, Tab does not continue inside the main content"
