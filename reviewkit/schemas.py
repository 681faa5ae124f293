"""The JSON schemas reviewkit ships (config, verdict, report, model output) and cached validators."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema.protocols import Validator


def schema_dir() -> Path:
    """Where the schemas are: inside the installed package, or schemas/ at the top of a source tree."""
    packaged = Path(__file__).parent / "schemas"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "schemas"


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((schema_dir() / f"{name}.schema.json").read_text(encoding="utf-8"))
    return data


@functools.cache
def validator(name: str) -> Validator:
    """A validator for schema ``name``; references between our schemas resolve through their $id."""
    # jsonschema costs ~0.1 s to import; only runs that read config or write JSON pay for it.
    import jsonschema
    import referencing

    resources = []
    for path in sorted(schema_dir().glob("*.schema.json")):
        contents = load_schema(path.name.removesuffix(".schema.json"))
        resources.append((contents["$id"], referencing.Resource.from_contents(contents)))
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(resources)
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)  # type: ignore[no-any-return]


def validate(name: str, instance: Any) -> list[str]:
    """Every error of ``instance`` against schema ``name``, as 'path: message' lines (empty if valid)."""
    errors = validator(name).iter_errors(instance)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors]
