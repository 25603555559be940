#!/usr/bin/env python3
"""gha-composite: run a composite GitHub Action's steps as a runner would.

    gha_composite.py ACTION_YML CONTEXT_JSON INPUT=VALUE...

For the test of action.yml (tests/cli/pipelines_action.sh). CONTEXT_JSON
holds the `github` context (action_path, action_ref, event_name, event,
actor, run_id, run_attempt, token) and `artifacts`, a folder. Inputs not
given take their default; a required one missing is an error.

Each step's `if:` is evaluated (success() when absent); the expressions
understood are the ones GitHub's language has and action.yml uses:
contexts inputs, github, steps, string literals, == != && || ! and
parentheses, always() success() failure() cancelled() hashFiles(). `${{ }}`
in env and with values is filled in. A `run:` step runs with `shell: bash`
as the runner does (bash --noprofile --norc -eo pipefail), in the current
folder, with the step's env on top of this process's environment, a fresh
GITHUB_OUTPUT (read back into steps.ID.outputs) and GITHUB_PATH (its lines
go first on PATH for the later steps). A `uses:` step is not run: it is
printed, and actions/upload-artifact copies its files into
ARTIFACTS/NAME/ (and fails without `overwrite: true` when that artifact
exists). Prints `step: NAME: ran|skipped|failed (N)` lines on stderr and
the action's outputs as `NAME=VALUE` on stdout; exits 1 when a step failed.
"""
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml


class Expr:
    TOKEN = re.compile(r"\s*(?:(==|!=|&&|\|\||[!()[\],.])|('(?:[^']|'')*')|([A-Za-z_][A-Za-z0-9_-]*))")

    def __init__(self, text, ctx):
        self.toks = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = self.TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise SystemExit(f"gha-composite: cannot read expression: {text!r} at {pos}")
            op, s, name = m.groups()
            if op:
                self.toks.append(("op", op))
            elif s:
                self.toks.append(("str", s[1:-1].replace("''", "'")))
            else:
                self.toks.append(("name", name))
            pos = m.end()
        self.i = 0
        self.ctx = ctx

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self, want=None):
        t = self.peek()
        if want and t[1] != want:
            raise SystemExit(f"gha-composite: expected {want}, got {t}")
        self.i += 1
        return t

    def value(self):
        v = self.or_()
        if self.i != len(self.toks):
            raise SystemExit(f"gha-composite: trailing tokens in expression: {self.toks[self.i:]}")
        return v

    def or_(self):
        v = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            r = self.and_()
            v = v if truthy(v) else r
        return v

    def and_(self):
        v = self.cmp()
        while self.peek() == ("op", "&&"):
            self.take()
            r = self.cmp()
            v = r if truthy(v) else v
        return v

    def cmp(self):
        v = self.unary()
        while self.peek() in (("op", "=="), ("op", "!=")):
            op = self.take()[1]
            r = self.unary()
            eq = str(v if v is not None else "").lower() == str(r if r is not None else "").lower()
            v = eq if op == "==" else not eq
        return v

    def unary(self):
        if self.peek() == ("op", "!"):
            self.take()
            return not truthy(self.unary())
        if self.peek() == ("op", "("):
            self.take()
            v = self.or_()
            self.take(")")
            return v
        kind, tok = self.take()
        if kind == "str":
            return tok
        if kind != "name":
            raise SystemExit(f"gha-composite: unexpected {tok!r}")
        if self.peek() == ("op", "("):
            self.take()
            args = []
            while self.peek() != ("op", ")"):
                args.append(self.or_())
                if self.peek() == ("op", ","):
                    self.take()
            self.take(")")
            return call(tok, args, self.ctx)
        v = self.ctx.get(tok)
        while self.peek() == ("op", "."):
            self.take()
            key = self.take()[1]
            v = v.get(key) if isinstance(v, dict) else None
        return v


def truthy(v):
    return v not in (None, False, "", 0)


def call(name, args, ctx):
    if name == "always":
        return True
    if name == "success":
        return not ctx["_failed"]
    if name == "failure":
        return ctx["_failed"]
    if name == "cancelled":
        return False
    if name == "hashFiles":
        files = sorted(f for a in args for f in glob.glob(str(a), recursive=True) if os.path.isfile(f))
        if not files:
            return ""
        h = hashlib.sha256()
        for f in files:
            h.update(open(f, "rb").read())
        return h.hexdigest()
    raise SystemExit(f"gha-composite: unknown function {name}()")


def fill(text, ctx):
    def one(m):
        v = Expr(m.group(1), ctx).value()
        return "" if v is None else ("true" if v is True else "false" if v is False else str(v))

    if isinstance(text, bool):
        return "true" if text else "false"
    return re.sub(r"\$\{\{(.*?)\}\}", one, str(text))


def condition(text, ctx):
    if text is None:
        return not ctx["_failed"]
    text = str(text).strip()
    m = re.fullmatch(r"\$\{\{(.*)\}\}", text, re.S)
    body = m.group(1) if m else text
    # GitHub adds success() unless the condition names a status function.
    v = Expr(body, ctx).value()
    if not re.search(r"\b(always|failure|cancelled|success)\(", body) and ctx["_failed"]:
        return False
    return truthy(v)


def main():
    action = yaml.safe_load(open(sys.argv[1]))
    context = json.load(open(sys.argv[2]))
    given = dict(a.split("=", 1) for a in sys.argv[3:])
    ctx = {"github": context["github"], "steps": {}, "_failed": False, "inputs": {}}
    for name, spec in (action.get("inputs") or {}).items():
        if name in given:
            ctx["inputs"][name] = given.pop(name)
        elif spec.get("required") and "default" not in spec:
            raise SystemExit(f"gha-composite: input {name} is required")
        else:
            ctx["inputs"][name] = fill(spec.get("default", ""), ctx)
    if given:
        raise SystemExit(f"gha-composite: no such inputs: {', '.join(given)}")
    assert action["runs"]["using"] == "composite"
    artifacts = context["artifacts"]
    extra_path = []
    for i, step in enumerate(action["runs"]["steps"]):
        label = step.get("name") or step.get("uses") or f"step {i}"
        if not condition(step.get("if"), ctx):
            print(f"step: {label}: skipped", file=sys.stderr)
            continue
        env = dict(os.environ)
        env["PATH"] = os.pathsep.join(extra_path[::-1] + [env.get("PATH", "")])
        for k, v in (step.get("env") or {}).items():
            env[k] = fill(v, ctx)
        if "uses" in step:
            with_ = {k: fill(v, ctx) for k, v in (step.get("with") or {}).items()}
            print(f"step: {label}: uses {step['uses']} {json.dumps(with_, sort_keys=True)}", file=sys.stderr)
            if step["uses"].startswith("actions/upload-artifact@"):
                dest = os.path.join(artifacts, with_["name"])
                if os.path.exists(dest) and with_.get("overwrite") != "true":
                    print(f"step: {label}: failed (artifact {with_['name']} exists)", file=sys.stderr)
                    ctx["_failed"] = True
                    continue
                shutil.rmtree(dest, ignore_errors=True)
                os.makedirs(dest)
                for p in with_["path"].split("\n"):
                    if p.strip():
                        shutil.copy(p.strip(), dest)
            continue
        if step.get("shell") != "bash":
            raise SystemExit(f"gha-composite: step {label}: a run: step needs shell: bash")
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "output")
            path = os.path.join(d, "path")
            open(out, "w").close()
            open(path, "w").close()
            env["GITHUB_OUTPUT"] = out
            env["GITHUB_PATH"] = path
            rc = subprocess.call(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], env=env)
            outputs = {}
            for line in open(out):
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    outputs[k] = v
            extra_path += [line.rstrip("\n") for line in open(path) if line.strip()]
        if "id" in step:
            ctx["steps"][step["id"]] = {"outputs": outputs}
        print(f"step: {label}: {'ran' if rc == 0 else f'failed ({rc})'}", file=sys.stderr)
        if rc != 0:
            ctx["_failed"] = True
    for name, spec in (action.get("outputs") or {}).items():
        print(f"{name}={fill(spec['value'], ctx)}")
    sys.exit(1 if ctx["_failed"] else 0)


if __name__ == "__main__":
    main()
