"""Read pages the way a browser without JavaScript would: the forms on a page with
their fields, and what a page would need from a looser Content-Security-Policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Field:
    name: str
    kind: str  # input type, "textarea", "select", "button"
    value: str = ""
    options: list[str] = field(default_factory=list)
    checked: bool = False


@dataclass
class Form:
    action: str | None
    method: str
    fields: list[Field] = field(default_factory=list)

    def defaults(self, button: str | None = None) -> dict[str, list[str]]:
        """What the browser would post as the page stands (pressing ``button``)."""
        data: dict[str, list[str]] = {}
        for f in self.fields:
            if f.kind in ("submit", "button"):
                if button is not None and f.name == button:
                    data.setdefault(f.name, []).append(f.value)
                continue
            if f.kind in ("checkbox", "radio") and not f.checked or f.kind == "file":
                continue
            value = f.value if f.kind != "select" else (f.options[0] if f.options else "")
            data.setdefault(f.name, []).append(value)
        return data

    def buttons(self) -> list[str]:
        return [f.name for f in self.fields if f.kind in ("submit", "button") and f.name]


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: Field | None = None
        self._select: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action"), method=(a.get("method") or "get").lower())
            self.forms.append(self._form)
            return
        if self._form is None or "name" not in a:
            if tag == "option" and self._select is not None:
                self._select.options.append(a.get("value", ""))
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind == "file":
                self._form.fields.append(Field(a["name"], "file"))
                return
            self._form.fields.append(
                Field(
                    a["name"],
                    kind,
                    a.get("value", "y" if kind == "checkbox" else ""),
                    checked="checked" in a,
                )
            )
        elif tag == "button":
            self._form.fields.append(Field(a["name"], "submit", a.get("value", "")))
        elif tag == "textarea":
            self._textarea = Field(a["name"], "textarea")
            self._form.fields.append(self._textarea)
        elif tag == "select":
            self._select = Field(a["name"], "select")
            self._form.fields.append(self._select)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data


def forms_in(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


class _InlineFinder(HTMLParser):
    """Collects what a strict CSP (no inline script or style) would block."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {k.lower() for k, _ in attrs}
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "script" and not a.get("src"):
            self.problems.append("<script> without src")
        if tag == "style":
            self.problems.append("<style> element")
        if "style" in names:
            self.problems.append(f"style= attribute on <{tag}>")
        for name in names:
            if name.startswith("on"):
                self.problems.append(f"{name}= handler on <{tag}>")
        for name in ("href", "src", "action", "formaction"):
            if a.get(name, "").strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in {name} of <{tag}>")
        for name in ("src", "href"):
            value = a.get(name, "").strip().lower()
            if tag in ("script", "link", "img", "iframe", "source", "video", "audio") and (
                value.startswith(("http://", "https://", "//"))
            ):
                self.problems.append(f"third-party asset {value} in <{tag}>")

    handle_startendtag = handle_starttag


def inline_problems(html: str) -> list[str]:
    finder = _InlineFinder()
    finder.feed(html)
    return finder.problems
