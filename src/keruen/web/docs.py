"""A self-contained HTML page documenting the REST API, rendered from its OpenAPI document.

Served at ``/api/v1/docs`` without JavaScript or any CDN (the machine and many users work
offline); the machine-readable document itself is ``/openapi.json``.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape


def _parameters(operation: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for p in operation.get("parameters", []):
        schema = p.get("schema", {})
        options = schema.get("anyOf", [schema])
        kinds, bounds = [], []
        for o in options:
            if "enum" in o:
                kinds.append(" | ".join(map(str, o["enum"])))
            elif o.get("type") and o.get("type") != "null":
                kinds.append(o["type"])
            for key, label in (("minimum", "≥"), ("maximum", "≤"), ("maxLength", "length ≤")):
                if key in o:
                    bounds.append(f"{label} {o[key]}")
        rows.append(
            {
                "name": p["name"],
                "required": "yes" if p.get("required") else "",
                "type": ", ".join(kinds),
                "bounds": ", ".join(bounds),
                "default": "" if schema.get("default") is None else str(schema["default"]),
                "description": p.get("description", "") or schema.get("description", ""),
            }
        )
    return rows


def render_docs(openapi: dict[str, Any]) -> str:
    """The docs page: one section per route with its parameters and their bounds."""
    env = Environment(
        loader=PackageLoader("keruen.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    routes = []
    for path, methods in sorted(openapi.get("paths", {}).items()):
        for method, op in methods.items():
            routes.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "tags": ", ".join(op.get("tags", [])),
                    "parameters": _parameters(op),
                }
            )
    return env.get_template("api_docs.html.j2").render(info=openapi.get("info", {}), routes=routes)
