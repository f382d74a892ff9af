"""Structural checks of examples/complete that need no provider and no network.

Used by tools/checkers/check-examples.sh. Each subcommand is one check: it prints what is
wrong and exits 1, or exits 0 silently.

  module    every var.NAME the module uses is a declared variable
  envs      each env's module "ecs" block sets only declared variables and every
            required one; every module.ecs.NAME it reads is a module output; its own
            outputs re-export module outputs under the same name
  params    every Spinnaker pipeline parameter is named exactly like an output
            of the module (and of every env)
  pipeline  the pipeline and the task definition template use every parameter they
            declare and none they don't; every release variable the pipeline reads
            from the "Read release" job is a Terraform output (the job exports
            `terraform output` by upper-cased name, codebuild/read-release.yml); the
            template passes no secret as plain env. What Spinnaker itself accepts is
            tools/checkers/check_spinnaker.py's job.
  igor      every awsCodeBuild stage, in every environment, names a CodeBuild account
            of spinnaker/igor-local.yml (parsed with PyYAML when available), which
            holds no AWS keys
  per-env   the pipelines of qa and prod are dev's with their own environment, webhook
            and registry account (pipeline_for); `--write` regenerates them
  action    the action the promote job invokes (scripts/promote.sh) is declared in the
            module or the env directory, with to_color taken from var.active_color

The HCL reading is deliberately small: comments are stripped (strings and heredocs
kept), and top-level blocks and their top-level attributes are found by tracking
brackets outside strings. `terraform fmt -check` has already parsed every file.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPLETE = ROOT / "examples" / "complete"
MODULE = COMPLETE / "infrastructure" / "modules" / "ecs"
ENVS = COMPLETE / "infrastructure" / "envs"
PIPELINES = COMPLETE / "spinnaker" / "pipelines"
PIPELINE = PIPELINES / "ecs-bluegreen-dev.json"  # the others are it with another environment
# What each environment's pipeline has of its own: its queue (one pipeline per environment,
# so a prod run waiting for its judgment does not hold dev and qa back), its webhook, and
# the registry (account) its images come from.
ENV_ACCOUNTS = {"dev": "123456789012", "qa": "123456789012", "prod": "210987654321"}
TEMPLATE = COMPLETE / "spinnaker" / "pipelines" / "artifact-template.json"
IGOR = COMPLETE / "spinnaker" / "igor-local.yml"
READ_BUILDSPEC = COMPLETE / "spinnaker" / "codebuild" / "read-release.yml"
PROMOTE_SCRIPT = COMPLETE / "spinnaker" / "scripts" / "promote.sh"

# --- a small HCL reader ---------------------------------------------------------

_HEREDOC = re.compile(r"<<-?([A-Za-z_]\w*)\n")


def _literal_end(text: str, i: int) -> int | None:
    """If a quoted string or a heredoc starts at i, the index just past it; else None."""
    n = len(text)
    if text[i] == '"':
        j = i + 1
        while j < n and text[j] != '"':
            j += 2 if text[j] == "\\" else 1
        return min(j + 1, n)
    m = _HEREDOC.match(text, i) if text.startswith("<<", i) else None
    if m:
        end = re.compile(r"^\s*" + re.escape(m.group(1)) + r"\s*$", re.M)
        e = end.search(text, m.end())
        return e.end() if e else n
    return None


def strip_comments(text: str) -> str:
    """Remove #, // and /* */ comments; keep strings and heredocs verbatim."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        j = _literal_end(text, i)
        if j is not None:
            out.append(text[i:j])
            i = j
        elif text[i] == "#" or text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _depth_map(text: str) -> list[int]:
    """Bracket depth ({[( outside strings and heredocs) at each character."""
    depth, out = 0, []
    i, n = 0, len(text)
    while i < n:
        j = _literal_end(text, i)
        if j is not None:
            out.extend([depth] * (j - i))
            i = j
            continue
        c = text[i]
        if c in "{[(":
            out.append(depth)
            depth += 1
        elif c in "}])":
            depth -= 1
            out.append(depth)
        else:
            out.append(depth)
        i += 1
    return out


def blocks(text: str) -> list[tuple[str, list[str], str]]:
    """Top-level blocks as (type, labels, body)."""
    text = strip_comments(text)
    depth = _depth_map(text)
    found = []
    for m in re.finditer(r'^([A-Za-z_]\w*)((?:\s+"[^"]*")*)\s*\{', text, re.M):
        if depth[m.start()] != 0:
            continue
        start = m.end()
        j = start
        while j < len(text) and not (text[j] == "}" and depth[j] == 0):
            j += 1
        labels = re.findall(r'"([^"]*)"', m.group(2))
        found.append((m.group(1), labels, text[start:j]))
    return found


def top_level_attrs(body: str) -> set[str]:
    """Names of the attributes (name = ...) directly inside a block body."""
    depth = _depth_map(body)
    names = set()
    for m in re.finditer(r"^[ \t]*([A-Za-z_][\w-]*)[ \t]*=(?!=)", body, re.M):
        if depth[m.start(1)] == 0:
            names.add(m.group(1))
    return names


def read_dir(path: Path) -> list[tuple[str, list[str], str]]:
    out = []
    for f in sorted(path.glob("*.tf")):
        out.extend(blocks(f.read_text()))
    return out


def source(path: Path) -> str:
    return "\n".join(strip_comments(f.read_text()) for f in sorted(path.glob("*.tf")))


def module_variables() -> dict[str, bool]:
    """Variable name -> required (no default)."""
    return {labels[0]: "default" not in top_level_attrs(body)
            for kind, labels, body in read_dir(MODULE) if kind == "variable"}


def outputs(path: Path) -> dict[str, str]:
    return {labels[0]: body for kind, labels, body in read_dir(path) if kind == "output"}


def env_dirs() -> list[Path]:
    return sorted(p for p in ENVS.iterdir() if p.is_dir())


def pipeline_parameters() -> list[str]:
    return [p["name"] for p in json.loads(PIPELINE.read_text())["parameterConfig"]]


def pipeline_for(dev: dict, env: str) -> dict:
    """Dev's pipeline for ENV: the same stages and rules, ENV's name, queue, webhook,
    payload constraint, parameter and registry account."""
    text = json.dumps(dev)
    text = text.replace("ecs-bluegreen-dev", f"ecs-bluegreen-{env}").replace("in dev (", f"in {env} (")
    text = text.replace("dev's registry", f"{env}'s registry").replace("serves dev only", f"serves {env} only")
    text = text.replace("^dev$", f"^{env}$").replace('"value": "dev"', f'"value": "{env}"')
    text = text.replace('"default": "dev"', f'"default": "{env}"')
    acct = ENV_ACCOUNTS[env]
    text = text.replace("123456789012\\\\.dkr", f"{acct}\\\\.dkr")  # the matchArtifact regexes
    text = text.replace('"registry": "123456789012.dkr', f'"registry": "{acct}.dkr')
    return json.loads(text)


def check_per_env(write: bool = False) -> list[str]:
    dev = json.loads(PIPELINE.read_text())
    errors = []
    found = sorted(p.name for p in PIPELINES.glob("ecs-bluegreen*.json"))
    want = sorted(f"ecs-bluegreen-{e}.json" for e in ENV_ACCOUNTS)
    if found != want and not write:
        errors.append(f"expected one pipeline per environment {want}, found {found}")
    for env in ENV_ACCOUNTS:
        path = PIPELINES / f"ecs-bluegreen-{env}.json"
        doc = pipeline_for(dev, env)
        if write:
            path.write_text(json.dumps(doc, indent=2) + "\n")
        elif not path.exists() or json.loads(path.read_text()) != doc:
            errors.append(f"{path.name} is not ecs-bluegreen-dev.json for {env} (tools/checkers/check_examples.py per-env --write)")
        for opt in doc["parameterConfig"][0].get("options", []):
            if opt["value"] != env:
                errors.append(f"{path.name} offers environment {opt['value']!r}: one queue per environment")
    return errors


# --- checks ---------------------------------------------------------------------

def check_module() -> list[str]:
    declared = module_variables()
    used = set(re.findall(r"\bvar\.([A-Za-z_][\w-]*)", source(MODULE)))
    errors = [f"modules/ecs uses var.{v}, which is not declared" for v in sorted(used - set(declared))]
    errors += [f"modules/ecs declares variable {v!r} but never uses it" for v in sorted(set(declared) - used)]
    if not outputs(MODULE):
        errors.append("modules/ecs has no outputs")
    return errors


def check_envs() -> list[str]:
    declared = module_variables()
    module_outputs = set(outputs(MODULE))
    meta = {"source", "version", "providers", "depends_on", "count", "for_each"}
    errors = []
    envs = env_dirs()
    if {p.name for p in envs} != {"dev", "qa", "prod"}:
        errors.append(f"expected envs dev, qa, prod; found {[p.name for p in envs]}")
    for env in envs:
        calls = [(labels, body) for kind, labels, body in read_dir(env)
                 if kind == "module" and labels == ["ecs"]]
        if len(calls) != 1:
            errors.append(f"envs/{env.name}: expected one module \"ecs\" block, found {len(calls)}")
            continue
        body = calls[0][1]
        src = re.search(r'^\s*source\s*=\s*"([^"]+)"', body, re.M)
        if not src or (env / src.group(1)).resolve() != MODULE.resolve():
            errors.append(f"envs/{env.name}: module \"ecs\" source is not ../../modules/ecs")
        args = top_level_attrs(body) - meta
        errors += [f"envs/{env.name}: module \"ecs\" sets {a!r}, not a variable of modules/ecs"
                   for a in sorted(args - set(declared))]
        errors += [f"envs/{env.name}: module \"ecs\" does not set required variable {v!r}"
                   for v, required in sorted(declared.items()) if required and v not in args]
        used = set(re.findall(r"\bmodule\.ecs\.([A-Za-z_][\w-]*)", source(env)))
        errors += [f"envs/{env.name}: reads module.ecs.{o}, not an output of modules/ecs"
                   for o in sorted(used - module_outputs)]
        for name, obody in outputs(env).items():
            m = re.search(r"\bvalue\s*=\s*module\.ecs\.([A-Za-z_][\w-]*)\s*$", obody.strip(), re.M)
            if m and m.group(1) != name:
                errors.append(f"envs/{env.name}: output {name!r} re-exports module.ecs.{m.group(1)} under another name")
    return errors


def check_params() -> list[str]:
    params = pipeline_parameters()
    errors = []
    if len(set(params)) != len(params):
        errors.append("pipeline parameters are not unique")
    module_outputs = set(outputs(MODULE))
    errors += [f"pipeline parameter {p!r} is not an output of modules/ecs/outputs.tf" for p in params
               if p not in module_outputs]
    for env in env_dirs():
        env_outputs = set(outputs(env))
        errors += [f"pipeline parameter {p!r} is not an output of envs/{env.name}"
                   for p in params if p not in env_outputs]
    if not params:
        errors.append("the pipeline declares no parameters")
    return errors


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def exported_names(buildspec: str) -> list[str]:
    """env.exported-variables of a CodeBuild buildspec (a block list, as ours is)."""
    names, inside = [], False
    for line in buildspec.splitlines():
        if re.match(r"^\s*exported-variables:\s*$", line):
            inside = True
        elif inside and (m := re.match(r"^\s*-\s*([A-Z0-9_]+)\s*$", line)):
            names.append(m.group(1))
        elif inside and line.strip() and not line.lstrip().startswith("#"):
            inside = False
    return names


def check_pipeline() -> list[str]:
    pipeline = json.loads(PIPELINE.read_text())
    template = json.loads(TEMPLATE.read_text())
    declared = set(pipeline_parameters())
    errors = []
    used = set()
    for what, doc in (("pipeline", pipeline), ("artifact-template.json", template)):
        for s in _strings(doc):
            for name in re.findall(r"\bparameters(?:\.|\[')([A-Za-z_]\w*)", s):
                used.add(name)
                if name not in declared:
                    errors.append(f"{what} references parameters.{name}, which is not a pipeline parameter")
    errors += [f"pipeline parameter {p!r} is never used" for p in sorted(declared - used)]

    # The release as the first stage reads it: NAME in the buildspec is Terraform output
    # `name` of the env (read-release.sh), and every variable the pipeline binds from the
    # read job is one of them.
    exported = exported_names(READ_BUILDSPEC.read_text())
    if not exported:
        errors.append("codebuild/read-release.yml exports no variables")
    module_outputs = set(outputs(MODULE))
    env_outputs = {env.name: set(outputs(env)) for env in env_dirs()}
    for name in exported:
        if name == "SOURCE_COMMIT":
            continue
        if name.lower() not in module_outputs:
            errors.append(f"read-release.yml exports {name}, but modules/ecs has no output {name.lower()!r}")
        errors += [f"read-release.yml exports {name}, but envs/{env} has no output {name.lower()!r}"
                   for env, outs in sorted(env_outputs.items()) if name.lower() not in outs]
    for s in _strings(pipeline):
        for var in re.findall(r"exportedEnvironmentVariables'\]\.\?\[name == '([A-Z0-9_]+)'\]", s):
            if var not in exported:
                errors.append(f"the pipeline reads {var} from the read job, which does not export it")

    for c in template.get("containerDefinitions", []):
        for sec in c.get("secrets", []):
            if "valueFrom" not in sec:
                errors.append("a secret of the task definition template has no valueFrom")
        for env in c.get("environment", []):
            if re.search(r"token|secret|password", env.get("name", ""), re.I):
                errors.append(f"the template passes {env['name']} as a plain environment variable")
    return errors


def check_igor() -> list[str]:
    pipeline = json.loads(PIPELINE.read_text())
    text = IGOR.read_text()
    try:
        import yaml  # PyYAML, in the project's venv
    except ImportError:
        accounts = set(re.findall(r"^\s*-\s*name:\s*(\S+)\s*$", text, re.M))
        keys = bool(re.search(r"^\s*(accessKeyId|secretAccessKey):", text, re.M))
    else:
        codebuild = (yaml.safe_load(text) or {}).get("codebuild") or {}
        accounts = {a.get("name") for a in codebuild.get("accounts") or []}
        keys = bool(codebuild.get("accessKeyId") or codebuild.get("secretAccessKey"))
        if codebuild.get("enabled") is not True:
            return ["igor-local.yml does not set codebuild.enabled: true"]
    errors = ["igor-local.yml holds AWS keys: igor should use its role (assumeRole per account)"] if keys else []
    for stage in pipeline["stages"]:
        if stage.get("type") != "awsCodeBuild":
            continue
        for env in env_dirs():
            account = re.sub(r"\$\{(?:parameters\.)?environment\}", env.name, stage.get("account", ""))
            if account not in accounts:
                errors.append(f"stage {stage['name']!r} in {env.name} uses CodeBuild account {account!r}, "
                              "not an account of igor-local.yml")
    return errors


def check_action() -> list[str]:
    script = PROMOTE_SCRIPT.read_text()
    m = re.search(r"PROMOTE_ACTION:-([\w.\[\]\"]+)\}", script)
    if not m:
        return ["scripts/promote.sh names no default action (PROMOTE_ACTION)"]
    address = m.group(1)
    parts = address.split(".")
    kind, name = parts[-2:]
    if parts[:1] == ["module"]:  # module.ecs.action.TYPE.NAME: declared in the module
        if parts[1:3] != ["ecs", "action"] or len(parts) != 5:
            return [f"promote.sh invokes {address}: expected module.ecs.action.TYPE.NAME"]
        dirs = [MODULE]
    else:  # action.TYPE.NAME: declared in every env directory
        dirs = env_dirs()
    errors = []
    for d in dirs:
        blocks_ = [body for k, labels, body in read_dir(d) if k == "action" and labels == [kind, name]]
        rel = "modules/ecs" if d == MODULE else f"envs/{d.name}"
        if not blocks_:
            errors.append(f"{rel}: no action \"{kind}\" \"{name}\" (promote.sh invokes {address})")
        elif not re.search(r"\bto_color\s*=\s*var\.active_color\b", blocks_[0]):
            errors.append(f"{rel}: action {kind}.{name} does not take to_color = var.active_color "
                          "(promote.sh passes the color the run deployed to as -var active_color)")
    return errors


CHECKS = {
    "module": check_module,
    "envs": check_envs,
    "params": check_params,
    "pipeline": check_pipeline,
    "igor": check_igor,
    "action": check_action,
    "per-env": check_per_env,
}


def main(argv: list[str]) -> int:
    if argv == ["per-env", "--write"]:
        return 1 if check_per_env(write=True) else 0
    if len(argv) != 1 or argv[0] not in CHECKS:
        print(f"usage: check_examples.py {{{'|'.join(CHECKS)}}}", file=sys.stderr)
        return 2
    errors = CHECKS[argv[0]]()
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
