"""The OpenAPI description as a page of the documentation site (no JavaScript, no
third-party viewer): every path with its parameters and answers, every webhook, and
every schema with its fields. Written to docs/partners-api-reference.md:

    python -m campaign.api.openapi_markdown > docs/partners-api-reference.md

tests/test_partners_openapi.py fails when the page and the description differ."""

from __future__ import annotations

import json
import sys

from campaign.api.openapi import description

HEADER = """# Partners' API reference

<!-- Generated from campaign/api/openapi.py by `python -m campaign.api.openapi_markdown
> docs/partners-api-reference.md`; do not edit by hand. -->

The same description, machine-readable, is served by every installation at
`/api/openapi.json` (OpenAPI 3.1). How to get a token, page through listings and
check webhook signatures: [Partners' API and webhooks](partners-api.md).
"""


def _text(text: str) -> str:
    """Prose from the description, safe in Markdown (``<slug>`` is not a tag)."""
    return str(text).replace("<", "&lt;").replace(">", "&gt;")


def _cell(text: str) -> str:
    return _text(text).replace("|", "\\|").replace("\n", " ")


def _type(schema: dict) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return f"[{name}](#{name.lower()})"
    if "allOf" in schema:
        return " and ".join(_type(part) for part in schema["allOf"])
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    if "enum" in schema:
        return " or ".join(f"`{json.dumps(v)}`" for v in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "object" and schema.get("properties"):
        return "object with " + ", ".join(f"`{name}`" for name in schema["properties"])
    if kind == "object" and "additionalProperties" in schema:
        return f"object of {_type(schema['additionalProperties'])}"
    fmt = schema.get("format")
    return f"{kind} ({fmt})" if fmt else str(kind)


def _fields(schema: dict) -> list[str]:
    if "allOf" in schema:
        rows = []
        for part in schema["allOf"]:
            rows += (
                _fields(part) if "properties" in part else [f"| all fields of {_type(part)} | | |"]
            )
        return rows
    required = set(schema.get("required", []))
    return [
        f"| `{name}` | {_cell(_type(field))}{'' if name in required else ' (optional)'} "
        f"| {_cell(field.get('description', ''))} |"
        for name, field in schema.get("properties", {}).items()
    ]


def _answers(responses: dict, components: dict) -> list[str]:
    lines = []
    for status, answer in responses.items():
        if "$ref" in answer:
            name = answer["$ref"].rsplit("/", 1)[1]
            answer = components["responses"][name]
        schema = answer.get("content", {}).get("application/json", {}).get("schema")
        shape = f": {_type(schema)}" if schema else ""
        lines.append(f"- `{status}` {_text(answer['description'])}{shape}")
    return lines


def _parameters(parameters: list[dict]) -> list[str]:
    if not parameters:
        return []
    lines = ["| parameter | in | type | meaning |", "|---|---|---|---|"]
    for p in parameters:
        kind = _type(p.get("schema", {}))
        lines.append(f"| `{p['name']}` | {p['in']} | {_cell(kind)} | {_cell(p['description'])} |")
    return [*lines, ""]


def render(spec: dict) -> str:
    """The page for ``spec`` (an OpenAPI description as campaign.api.openapi gives it)."""
    components = spec["components"]
    out = [HEADER, "## Paths", ""]
    out.append("Every path needs `Authorization: Bearer <token>`. Answers are JSON.")
    out.append("")
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            out += [f"### `{method.upper()} {path}`", "", f"**{_text(operation['summary'])}.**"]
            out += [_text(operation["description"]), ""]
            out += _parameters(operation.get("parameters", []))
            out += _answers(operation["responses"], components) + [""]
    out += ["## Webhooks", ""]
    out.append(
        "Sent as `POST` to each active endpoint of the partner, signed "
        "(see [Partners' API and webhooks](partners-api.md#webhooks))."
    )
    out.append("")
    for name, item in spec["webhooks"].items():
        operation = item["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        summary = _text(operation["summary"])
        out += [f"### `{name}`", "", f"**{summary}.** Body: {_type(body)}.", ""]
        out += _parameters(operation["parameters"])
    out += ["## Schemas", ""]
    for name, schema in components["schemas"].items():
        out += [f"### {name}", "", "| field | type | meaning |", "|---|---|---|"]
        out += _fields(schema) + [""]
    return "\n".join(out).rstrip("\n") + "\n"


def main() -> None:
    sys.stdout.write(render(description("https://campaign.example.org")))


if __name__ == "__main__":
    main()
