"""Rebuild digitalocean-dns-subset.json from a checkout of github.com/digitalocean/openapi.

    python odoosh/sandbox/api_specs/bundle_digitalocean_dns.py <checkout>/specification > digitalocean-dns-subset.json

Keeps the domain records operations the platform uses (list, create, get, delete) and resolves
every file `$ref` into one document: schemas named by a discriminator mapping become
`components/schemas` entries (the mapping must point at a schema), everything else is inlined.
Examples and code samples are left out; nothing else is changed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

OPERATIONS = {
    "/v2/domains/{domain_name}/records": ("get", "post"),
    "/v2/domains/{domain_name}/records/{domain_record_id}": ("get", "delete"),
}
DROPPED = {"x-codeSamples", "examples", "example", "tags"}


def bundle(spec_dir: Path) -> dict:
    root_file = spec_dir / "DigitalOcean-public.v2.yaml"
    cache: dict[Path, dict] = {}
    components: dict[str, dict] = {}

    def load(path: Path):
        if path not in cache:
            cache[path] = yaml.safe_load(path.read_text())
        return cache[path]

    def target(ref: str, base: Path) -> tuple[Path, str]:
        file, _, pointer = ref.partition("#")
        return ((base.parent / file).resolve() if file else base), pointer

    def lookup(path: Path, pointer: str):
        node = load(path)
        for part in filter(None, pointer.split("/")):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def component(ref: str, base: Path) -> str:
        path, pointer = target(ref, base)
        name = pointer.rsplit("/", 1)[-1] if pointer else path.stem
        if name not in components:
            components[name] = {}
            components[name] = resolve(lookup(path, pointer), path)
        return f"#/components/schemas/{name}"

    def resolve(node, base: Path):
        if isinstance(node, list):
            return [resolve(item, base) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            path, pointer = target(node["$ref"], base)
            return resolve(lookup(path, pointer), path)
        mapping = node.get("discriminator", {}).get("mapping", {})
        named = {target(ref, base): component(ref, base) for ref in mapping.values()}
        out = {}
        for key, value in node.items():
            if key in DROPPED and not (key == "tags" and isinstance(value, str)):
                continue
            if key == "discriminator":
                value = {**value, "mapping": {k: component(ref, base) for k, ref in mapping.items()}}
            elif key in ("anyOf", "oneOf") and named:
                value = [
                    {"$ref": named[target(item["$ref"], base)]}
                    if "$ref" in item and target(item["$ref"], base) in named
                    else resolve(item, base)
                    for item in value
                ]
                out[key] = value
                continue
            out[key] = resolve(value, base)
        return out

    root = load(root_file)
    paths = {
        path: {method: resolve(root["paths"][path][method], root_file) for method in methods}
        for path, methods in OPERATIONS.items()
    }
    security_schemes = {"bearer_auth": resolve(root["components"]["securitySchemes"]["bearer_auth"], root_file)}
    return {
        "openapi": root["openapi"],
        "info": {**root["info"], "title": "DigitalOcean API (domain records subset, bundled by odoosh)"},
        "servers": root["servers"],
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": security_schemes},
        "security": root["security"],
    }


if __name__ == "__main__":
    json.dump(bundle(Path(sys.argv[1])), sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")
