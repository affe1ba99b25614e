"""GitHub's REST description (`api_specs/github-rest-subset.json`) as the double uses it: the
operations and their routes, validators, and bodies built from the response schemas."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openapi_core import OpenAPI
from openapi_schema_validator import OAS30Validator
from werkzeug.routing import Map, Rule

SPEC_FILE = Path(__file__).parent / "api_specs" / "github-rest-subset.json"
_MISSING = object()


@functools.cache
def spec() -> dict:
    """GitHub's description, made to match any host (the double's port is picked at start) and
    strict on unknown request-body fields (GitHub ignores them; refusing them catches typos)."""
    description = json.loads(SPEC_FILE.read_text())
    description["servers"] = [{"url": "/"}]
    for path_item in description["paths"].values():
        for operation in path_item.values():
            for content in (operation.get("requestBody") or {}).get("content", {}).values():
                _forbid_unknown(content["schema"])
    return description


def _forbid_unknown(schema: dict) -> None:
    if schema.get("type") == "object" and "properties" in schema:
        schema.setdefault("additionalProperties", False)
        for prop in schema["properties"].values():
            _forbid_unknown(prop)


@functools.cache
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(spec())


@functools.cache
def operations() -> dict[str, tuple[str, str, dict]]:
    """operationId -> (method, path template, operation)."""
    return {
        op["operationId"]: (method, path, op)
        for path, path_item in spec()["paths"].items()
        for method, op in path_item.items()
        if isinstance(op, dict) and "operationId" in op
    }


@functools.cache
def routes() -> Map:
    rules = []
    for operation_id, (method, path, _) in operations().items():
        # {path} of contents and {ref} of git refs ("heads/a-branch") span slashes on GitHub
        rule = path.replace("{path}", "<path:path>").replace("/git/refs/{ref}", "/git/refs/<path:ref>")
        rule = rule.replace("{", "<").replace("}", ">")
        rules.append(Rule(rule, methods=[method.upper()], endpoint=operation_id))
    return Map(rules, strict_slashes=False)


@functools.cache
def error_validator() -> OAS30Validator:
    """GitHub's "Basic Error", for error statuses an operation does not declare (401, 403, 5xx)."""
    schema = operations()["pulls/get"][2]["responses"]["404"]["content"]["application/json"]["schema"]
    return OAS30Validator(schema)


def response_schema(operation_id: str, status: int) -> dict | None:
    response = operations()[operation_id][2]["responses"].get(str(status))
    return (response or {}).get("content", {}).get("application/json", {}).get("schema")


def fill(schema: dict, given: Any = _MISSING, placeholders: Callable[[dict], Any] | None = None) -> Any:
    """An instance of `schema`: `given` where given, every other required property from the
    schema (null where nullable, the first enum value, an empty string/list, 0, false)."""
    if "allOf" in schema:
        merged: dict = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
        return fill(merged, given, placeholders)
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        if given is None or (given is _MISSING and any(_nullable(o) for o in options)):
            return None
        chosen = next((o for o in options if given is _MISSING or _fits(o, given)), options[0])
        return fill(chosen, given, placeholders)
    if given is _MISSING:
        if _nullable(schema):
            return None
        if placeholders and (value := placeholders(schema)) is not None:
            return value
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type")
        if kind == "object":
            return {
                name: fill(schema.get("properties", {}).get(name, {}), _MISSING, placeholders)
                for name in schema.get("required", [])
            }
        return {"array": [], "string": "", "integer": 0, "number": 0, "boolean": False}.get(kind)
    if isinstance(given, dict) and schema.get("type") == "object":
        properties = schema.get("properties", {})
        out = {name: fill(properties.get(name, {}), value, placeholders) for name, value in given.items()}
        for name in schema.get("required", []):
            if name not in out:
                out[name] = fill(properties.get(name, {}), _MISSING, placeholders)
        return out
    if isinstance(given, list) and schema.get("type") == "array":
        return [fill(schema.get("items", {}), item, placeholders) for item in given]
    return given


def _nullable(schema: dict) -> bool:
    return bool(schema.get("nullable")) or schema.get("type") == "null"


def _fits(schema: dict, value: Any) -> bool:
    kind = schema.get("type")
    return {
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
        "integer": isinstance(value, int),
        "boolean": isinstance(value, bool),
    }.get(kind, True)
