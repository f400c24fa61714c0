"""Write the JSON Schema of module.json to schemas/module.schema.json (run after changing the schema)."""

from __future__ import annotations

import json
from pathlib import Path

from tutela.authoring.generation.schemas import module_json_schema

TARGET = Path(__file__).resolve().parent.parent / "schemas" / "module.schema.json"


def render() -> str:
    """Return the schema file's exact content."""
    return json.dumps(module_json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> None:
    """Export the schema."""
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
