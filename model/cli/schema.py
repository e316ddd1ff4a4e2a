"""``vnsim schema [--targets]``: print the JSON Schema of scenario (or target) files."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(sub: Any) -> None:
    """Add ``schema`` to the sub-parsers ``sub``."""
    schema = sub.add_parser("schema", help="print the JSON Schema of scenario files")
    schema.add_argument("--targets", action="store_true", help="of target files instead")
    schema.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Print the schema as indented JSON."""
    if args.targets:
        from vnsim.spec.targets import targets_json_schema as json_schema
    else:
        from vnsim.spec.scenario import json_schema

    json.dump(json_schema(), sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0
