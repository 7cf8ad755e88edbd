#!/usr/bin/env python3
"""The reference verdicts for the JSON Schema agreement tests (issue 24).

Usage: tic_oracle.py SCHEMA DOCUMENT...   (or `-` as the only DOCUMENT: one path a line
on stdin)

Prints one JSON line per document, in the order given:
  {"path": ..., "valid": true|false, "errors": N, "formats": [...]}
or, when the document is not JSON: {"path": ..., "error": "not json: ..."}.

`valid` and `errors` are Python jsonschema's `Draft7Validator` with its format checker
(`FORMAT_CHECKER`): `errors` counts what `iter_errors` yields (top-level errors; an
anyOf/oneOf failure is one error, as jsonschema reports it). `formats` lists the formats
the checker really checks here: `uri` is checked only when `rfc3987` is installed, so a
caller comparing `format: uri` verdicts must look for it.

Exit status: 0 when every document was judged, 2 on a bad schema or usage.
"""

import json
import sys

try:
    import jsonschema
    from jsonschema import Draft7Validator
except ImportError:  # pragma: no cover - the caller skips or fails on this status
    print("jsonschema is not installed (pip install jsonschema rfc3987)", file=sys.stderr)
    sys.exit(3)


def format_checker():
    # `jsonschema.FORMAT_CHECKER` in older releases, the validator class attribute in newer.
    checker = getattr(Draft7Validator, "FORMAT_CHECKER", None)
    if checker is None:
        checker = jsonschema.FORMAT_CHECKER
    return checker


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(argv[1], "rb") as f:
            schema = json.load(f)
        Draft7Validator.check_schema(schema)
    except (OSError, ValueError, jsonschema.SchemaError) as e:
        print(f"bad schema {argv[1]}: {e}", file=sys.stderr)
        return 2
    checker = format_checker()
    validator = Draft7Validator(schema, format_checker=checker)
    formats = sorted(checker.checkers.keys())
    paths = argv[2:]
    if paths == ["-"]:
        paths = [line.rstrip("\n") for line in sys.stdin if line.strip()]
    out = sys.stdout
    for path in paths:
        try:
            with open(path, "rb") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            out.write(json.dumps({"path": path, "error": f"not json: {e}"}) + "\n")
            continue
        errors = sum(1 for _ in validator.iter_errors(doc))
        out.write(
            json.dumps({"path": path, "valid": errors == 0, "errors": errors, "formats": formats})
            + "\n"
        )
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
