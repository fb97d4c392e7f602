"""The notes API's OpenAPI document, as `crud --openapi-out` writes it, checked by
openapi-spec-validator (not ours): a valid OpenAPI 3.1 document, with the routes, typed bodies,
responses and the shared error envelope the API has; and bodies checked against its schemas with
jsonschema agree with what the API's declared types accept.

Usage: openapi_check.py <crud binary>"""
import json
import os
import subprocess
import sys
import tempfile

import jsonschema
from openapi_spec_validator import validate


def main():
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "openapi.json")
        subprocess.run([sys.argv[1], "--openapi-out", out], check=True, timeout=30)
        with open(out) as f:
            doc = json.load(f)
    validate(doc)  # raises on an invalid document
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] == "gale notes API"
    paths = doc["paths"]
    assert set(paths) == {"/notes", "/notes/{id}", "/openapi.json"}, sorted(paths)
    assert set(paths["/notes"]) == {"get", "post"}
    assert set(paths["/notes/{id}"]) == {"get", "put", "patch", "delete"}
    schemas = doc["components"]["schemas"]
    assert {"Note", "NoteInput", "NotePatch", "NotePage", "Error"} <= set(schemas), sorted(schemas)

    def body_schema(path, method):
        return paths[path][method]["requestBody"]["content"]["application/json"]["schema"]

    assert body_schema("/notes", "post") == {"$ref": "#/components/schemas/NoteInput"}
    assert body_schema("/notes/{id}", "patch") == {"$ref": "#/components/schemas/NotePatch"}
    created = paths["/notes"]["post"]["responses"]["201"]["content"]["application/json"]
    assert created["schema"] == {"$ref": "#/components/schemas/Note"}
    assert paths["/notes"]["post"]["responses"]["409"] == {"$ref": "#/components/responses/Error"}
    params = {p["name"]: p for p in paths["/notes"]["get"]["parameters"]}
    assert params["limit"]["schema"]["maximum"] == 100 and params["limit"]["in"] == "query"
    id_param = paths["/notes/{id}"]["get"]["parameters"][0]
    assert id_param == {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}

    # The components are JSON Schema 2020-12: resolve references within the document.
    def validator(name):
        return jsonschema.Draft202012Validator(
            {"$ref": f"#/components/schemas/{name}", "components": doc["components"]})

    note_input, note_patch, page = validator("NoteInput"), validator("NotePatch"), validator("NotePage")
    assert note_input.is_valid({"slug": "a-b", "title": "t", "id": "sent-back"})
    assert not note_input.is_valid({"slug": "A B", "title": "t"})
    assert not note_input.is_valid({"title": "t"})
    assert not note_input.is_valid({"slug": "a", "title": "t", "colour": "red"})
    assert note_patch.is_valid({"done": True})
    assert not note_patch.is_valid({"id": "x"})  # nothing to change
    assert page.is_valid({"items": [], "next_cursor": None})
    error = validator("Error")
    assert error.is_valid({"error": {"status": 400, "message": "m", "request_id": "r",
                                     "errors": [{"path": "/title", "message": "is required"}]}})
    print(f"valid OpenAPI {doc['openapi']}: {len(paths)} paths, {len(schemas)} schemas")


if __name__ == "__main__":
    main()
