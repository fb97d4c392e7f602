"""The JSON Schema gale makes of each declared type, checked by Python's jsonschema (not ours):
each schema is valid against the 2020-12 meta-schema, and jsonschema's verdict on every body of
schema_cases agrees with gale's decode<T> (accepted or refused).

Usage: schema_check.py <schema_cases binary>"""
import json
import subprocess
import sys

import jsonschema


def main():
    cases = json.loads(subprocess.run([sys.argv[1]], check=True, capture_output=True).stdout)
    failures = 0
    checked = 0
    for name, entry in cases.items():
        schema = entry["schema"]
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", name
        validator = jsonschema.Draft202012Validator(schema)
        accepted_some = refused_some = False
        for case in entry["cases"]:
            body = case["body"]
            valid = validator.is_valid(body)
            checked += 1
            if valid != case["accepted"]:
                failures += 1
                print(f"{name}: gale {'accepts' if case['accepted'] else 'refuses'} "
                      f"{json.dumps(body)[:200]} but jsonschema says "
                      f"{'valid' if valid else 'invalid'}: "
                      f"{[e.message for e in validator.iter_errors(body)][:3]}")
            accepted_some |= valid
            refused_some |= not valid
        assert accepted_some, f"{name}: no good body among the cases"
        assert refused_some or name == "Note", f"{name}: no bad body among the cases"
    print(f"{checked} bodies of {len(cases)} types: {failures} disagreements")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
