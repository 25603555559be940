#!/usr/bin/env python3
"""Check `mailward schema` with an independent JSON Schema validator.

    validate_docs.py MAILWARD SOURCE_DIR

The schemas come from the built binary (`mailward schema`, `--policy`) and
are checked as draft-07 schemas; then, with Debian's python3-jsonschema and
python3-yaml:

- every desired-state and policy document of the examples (the folders
  listed in DESIRED_ROOTS: files under a policies/ folder are policies, as
  mailward reads them) and of policies/ validates;
- every document of the golden cases that mailward loads without a problem
  validates;
- every document under tests/schema/good/ validates (edge cases that are
  valid: null entries, absent domains, every IPv6 spelling);
- every document under tests/schema/bad/ is rejected: each holds one
  problem of tests/cli/validate.sh, of a golden case with invalid
  documents or of a loader's message, named in its first line;
- and `mailward validate` agrees on each of tests/schema/good and bad.

What a schema cannot say is left to `mailward validate` (README there).

Duplicate YAML keys are rejected by the loader here, as by the YAML
language server. Exit 0 when all hold, 1 otherwise, 77 (skipped) when the
validator is not installed, unless CI or MAILWARD_REQUIRE_TOOLS is set.
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import jsonschema
    import yaml
except ImportError as e:
    if os.environ.get("CI") == "true" or os.environ.get("MAILWARD_REQUIRE_TOOLS"):
        print(f"the JSON Schema validator is missing ({e}): install python3-jsonschema "
              "and python3-yaml (scripts/debian-packages)")
        sys.exit(1)
    print(f"skipped: {e}; install python3-jsonschema and python3-yaml to run this test")
    sys.exit(77)

# Folders that mailward reads as --path in the examples and the repository.
DESIRED_ROOTS = ["examples/desired", "examples/pipelines/multi-account/accounts/*"]
POLICY_ROOTS = ["policies"]
# Golden cases whose documents mailward rejects: their problems are split,
# one per file, into tests/schema/bad/.
GOLDEN_INVALID = {"validation-errors.case", "policy-errors.case"}


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one map."""


def _mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    loader.flatten_mapping(node)
    return dict(loader.construct_pairs(node, deep=deep))


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def yaml_files(root):
    for d, _, names in sorted(os.walk(root)):
        for n in sorted(names):
            if n.endswith((".yaml", ".yml")):
                yield os.path.join(d, n)


def is_policy(path, root):
    return "policies" in os.path.relpath(path, root).split(os.sep)[:-1]


def golden_files(case_path):
    """The (path, text) of each `--- file PATH` section of a golden case."""
    files, name, lines = [], None, []
    with open(case_path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("--- "):
                if name:
                    files.append((name, "".join(lines)))
                name = line[len("--- file "):].strip() if line.startswith("--- file ") else None
                lines = []
            elif name:
                lines.append(line)
    if name:
        files.append((name, "".join(lines)))
    return files


def main():
    mailward, src = sys.argv[1], sys.argv[2]
    schemas = {}
    for kind, args in (("desired", []), ("policy", ["--policy"])):
        out = subprocess.run([mailward, "schema", *args], check=True, capture_output=True,
                             timeout=30).stdout
        schema = yaml.safe_load(out)
        jsonschema.Draft7Validator.check_schema(schema)
        schemas[kind] = jsonschema.Draft7Validator(schema)

    failures = []
    counts = {"valid": 0, "rejected": 0}

    def expect(kind, where, text, valid):
        try:
            doc = yaml.load(text, Loader=StrictLoader)
            errors = list(schemas[kind].iter_errors(doc))
        except yaml.YAMLError as e:
            errors = [f"YAML: {e}"]
        if valid and errors:
            first = errors[0]
            why = first if isinstance(first, str) else f"{list(first.path)}: {first.message}"
            failures.append(f"{where}: a valid {kind} document is rejected: {why}")
        elif not valid and not errors:
            failures.append(f"{where}: an invalid {kind} document is accepted")
        counts["valid" if valid else "rejected"] += 1

    def read(path):
        with open(path, encoding="utf-8") as f:
            return f.read()

    roots = sorted(r for g in DESIRED_ROOTS for r in glob.glob(os.path.join(src, g)))
    if len(roots) < 3:
        failures.append(f"the example folders {DESIRED_ROOTS} are not all there")
    for root in roots:
        for p in yaml_files(root):
            kind = "policy" if is_policy(p, root) else "desired"
            expect(kind, os.path.relpath(p, src), read(p), True)
    for root in POLICY_ROOTS:
        for p in yaml_files(os.path.join(src, root)):
            expect("policy", os.path.relpath(p, src), read(p), True)
    cases = os.path.join(src, "tests/golden/cases")
    for case in sorted(os.listdir(cases)):
        if not case.endswith(".case") or case in GOLDEN_INVALID:
            continue
        for name, text in golden_files(os.path.join(cases, case)):
            kind = "policy" if name.split("/")[:-1].count("policies") else "desired"
            expect(kind, f"tests/golden/cases/{case}: {name}", text, True)
    for valid, top in ((True, "good"), (False, "bad")):
        for kind in ("desired", "policy"):
            d = os.path.join(src, "tests/schema", top, kind)
            for p in yaml_files(d):
                expect(kind, os.path.relpath(p, src), read(p), valid)

    # The fixtures are honest: mailward itself accepts each good one and
    # rejects each bad one (validate --worktree, on a folder of its own).
    for valid, top in ((True, "good"), (False, "bad")):
        for kind in ("desired", "policy"):
            d = os.path.join(src, "tests/schema", top, kind)
            for p in yaml_files(d):
                with tempfile.TemporaryDirectory() as tmp:
                    dest = os.path.join(tmp, "policies" if kind == "policy" else "", "doc.yaml")
                    os.makedirs(os.path.dirname(dest), exist_ok=True)
                    shutil.copyfile(p, dest)
                    rc = subprocess.run([mailward, "validate", "--worktree", "--quiet",
                                         "--repo", tmp], capture_output=True,
                                        timeout=30).returncode
                if rc != (0 if valid else 1):
                    failures.append(f"{os.path.relpath(p, src)}: mailward validate exits {rc}, "
                                    f"not {0 if valid else 1}: fix the fixture")

    for f in failures:
        print(f)
    print(f"{counts['valid']} documents expected valid, {counts['rejected']} expected "
          f"rejected, {len(failures)} wrong")
    if counts["rejected"] == 0 or counts["valid"] == 0:
        print("no documents found: is SOURCE_DIR right?")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
