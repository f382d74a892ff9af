"""Generate the registry docs in docs/ from templates/ and the provider's schema.

    .venv/bin/python tools/gendocs.py           render templates/**/*.md.tmpl into docs/
    .venv/bin/python tools/gendocs.py --check   render into a temp dir and compare with docs/;
                                                print a diff and exit 1 if they differ

The schema comes from the real provider binary: `terraform providers schema -json` run
by the terraform launcher (TF_ACC_TERRAFORM_PATH, else tools/terraform) in a temp dir
whose CLI config has `dev_overrides` pointing at BLUEGREEN_PROVIDER_DIR (else
target/debug). Standard library only.

Templates are Markdown with registry front matter and these placeholders:

    {{ name }}               the resource or data source type name (bluegreen_ecs_release),
                             or the provider name (bluegreen) in index.md.tmpl
    {{ description }}        the schema's description of this page's object
    {{ schema }}             Argument Reference / Attribute Reference of this page's object
    {{ identity_schema }}    the resource identity attributes (resource pages only)
    {{ example "PATH" }}     the file at PATH (relative to the repository) in a code block;
                             a missing file is an error

A placeholder alone on its line is indented like that line (for front matter). Which
object a page documents comes from its path: index.md.tmpl is the provider,
resources/NAME.md.tmpl the resource bluegreen_NAME, data-sources/NAME.md.tmpl the data
source bluegreen_NAME, actions/NAME.md.tmpl the action bluegreen_NAME (its `config` block),
list-resources/NAME.md.tmpl the list resource bluegreen_NAME (its `config` block);
guides/ have no object. Output is deterministic.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
DOCS = ROOT / "docs"
PROVIDER_SOURCE = "bluegreen-ecs/bluegreen"
PROVIDER_ADDRESS = "registry.terraform.io/" + PROVIDER_SOURCE
PROVIDER_NAME = "bluegreen"
BINARY = "terraform-provider-bluegreen"
# Files under docs/ that other tools own: never generated, never compared.
NOT_OURS = {"performance.md"}
STALE = "docs are stale: run make docs"


class GenError(Exception):
    """A problem the user must fix; printed without a traceback."""


# --------------------------------------------------------------------------------------
# The schema


def read_schema() -> dict:
    terraform = os.environ.get("TF_ACC_TERRAFORM_PATH") or str(ROOT / "tools" / "terraform")
    provider_dir = Path(os.environ.get("BLUEGREEN_PROVIDER_DIR") or ROOT / "target" / "debug").resolve()
    if not (provider_dir / BINARY).is_file():
        raise GenError(f"{provider_dir / BINARY} does not exist: run `make build` (or set BLUEGREEN_PROVIDER_DIR)")
    with tempfile.TemporaryDirectory(prefix="gendocs-tf-") as tmp:
        work = Path(tmp)
        (work / "cli.tfrc").write_text(
            "provider_installation {\n"
            f"  dev_overrides {{\n    {json.dumps(PROVIDER_SOURCE)} = {json.dumps(str(provider_dir))}\n  }}\n"
            "  direct {}\n"
            "}\n"
        )
        (work / "main.tf").write_text(
            "terraform {\n"
            "  required_providers {\n"
            f"    {PROVIDER_NAME} = {{ source = {json.dumps(PROVIDER_SOURCE)} }}\n"
            "  }\n"
            "}\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("TF_LOG")}
        env.update(
            TF_CLI_CONFIG_FILE=str(work / "cli.tfrc"),
            TF_DATA_DIR=str(work / ".terraform"),
            TF_IN_AUTOMATION="1",
            CHECKPOINT_DISABLE="1",
        )
        try:
            out = subprocess.run(
                [terraform, "providers", "schema", "-json"],
                cwd=work, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
            )
        except OSError as e:
            raise GenError(f"cannot run {terraform}: {e} (run `make python`, or set TF_ACC_TERRAFORM_PATH)") from e
        if out.returncode != 0:
            raise GenError(f"`{terraform} providers schema -json` exited {out.returncode}:\n{out.stderr.strip()}")
    try:
        schemas = json.loads(out.stdout)["provider_schemas"]
    except (ValueError, KeyError) as e:
        raise GenError(f"`terraform providers schema -json` printed no schema JSON ({e})") from e
    if PROVIDER_ADDRESS not in schemas:
        raise GenError(f"the schema JSON has no provider {PROVIDER_ADDRESS} (has: {', '.join(sorted(schemas)) or 'none'})")
    return schemas[PROVIDER_ADDRESS]


# --------------------------------------------------------------------------------------
# Rendering a schema


def type_name(t) -> str:
    if isinstance(t, str):
        return {"string": "String", "number": "Number", "bool": "Boolean", "dynamic": "Dynamic"}[t]
    kind, inner = t[0], t[1]
    if kind in ("list", "set", "map"):
        return f"{kind.capitalize()} of {type_name(inner)}"
    if kind == "object":
        return "Object"
    if kind == "tuple":
        return "Tuple"
    raise GenError(f"unsupported schema type {t!r}")


def object_attrs(t):
    """The attribute types of an object type, or of the object inside a collection."""
    if isinstance(t, list):
        if t[0] == "object":
            return t[1]
        if t[0] in ("list", "set", "map"):
            return object_attrs(t[1])
    return None


def sentence(text: str) -> str:
    """A description on one line (schema descriptions are Markdown)."""
    return " ".join((text or "").split())


def anchor(kind: str, path: list[str]) -> str:
    return f"nested{kind}--" + "--".join(path)


def attr_line(name: str, a: dict, path: list[str]) -> str:
    if "nested_type" in a:
        raise GenError(f"attribute {'.'.join(path + [name])}: nested attribute types are not supported by gendocs")
    flags = [type_name(a["type"])]
    if a.get("sensitive"):
        flags.append("Sensitive")
    if a.get("deprecated"):
        flags.append("Deprecated")
    text = f"- `{name}` ({', '.join(flags)})"
    desc = sentence(a.get("description", ""))
    if desc:
        text += f" {desc}"
    if object_attrs(a["type"]) is not None:
        text += f" See [below for nested schema](#{anchor('att', path + [name])})."
    return text


def block_flags(b: dict) -> str:
    mode = b["nesting_mode"]
    label = {"single": "Block", "group": "Block", "list": "Block List", "set": "Block Set", "map": "Block Map"}.get(mode)
    if label is None:
        raise GenError(f"unsupported block nesting mode {mode!r}")
    flags = [label]
    if b.get("min_items"):
        flags.append(f"Min: {b['min_items']}")
    if b.get("max_items"):
        flags.append(f"Max: {b['max_items']}")
    return ", ".join(flags)


def block_line(name: str, b: dict, path: list[str]) -> str:
    text = f"- `{name}` ({block_flags(b)})"
    desc = sentence(b["block"].get("description", ""))
    if desc:
        text += f" {desc}"
    if b["block"].get("deprecated"):
        text += " **Deprecated.**"
    return text + f" See [below for nested schema](#{anchor('block', path + [name])})."


def groups(block: dict, path: list[str]):
    """Required / Optional / Read-Only entries of one block: (lines, nested sections)."""
    required, optional, read_only, adopted = [], [], [], []
    nested = []  # (anchor, title, kind, payload), rendered after the groups
    for name in sorted(block.get("attributes", {})):
        a = block["attributes"][name]
        line = attr_line(name, a, path)
        if a.get("required"):
            required.append(line)
        elif a.get("optional"):
            optional.append(line)
            if a.get("computed"):
                adopted.append(name)
        elif a.get("computed"):
            read_only.append(line)
        else:
            raise GenError(f"attribute {'.'.join(path + [name])} is neither required, optional nor computed")
        obj = object_attrs(a["type"])
        if obj is not None:
            nested.append((anchor("att", path + [name]), path + [name], "object", obj))
    for name in sorted(block.get("block_types", {})):
        b = block["block_types"][name]
        line = block_line(name, b, path)
        (required if b.get("min_items") else optional).append(line)
        nested.append((anchor("block", path + [name]), path + [name], "block", b["block"]))
    return required, optional, read_only, adopted, nested


def render_nested(nested, out: list[str]) -> None:
    queue = list(nested)
    while queue:
        anchor_id, path, kind, payload = queue.pop(0)
        out += ["", f'<a id="{anchor_id}"></a>', f"### Nested Schema for `{'.'.join(path)}`", ""]
        if kind == "object":
            out.append("Read-Only:")
            out.append("")
            for name in sorted(payload):
                t = payload[name]
                line = f"- `{name}` ({type_name(t)})"
                if object_attrs(t) is not None:
                    line += f" See [below for nested schema](#{anchor('att', path + [name])})."
                    queue.append((anchor("att", path + [name]), path + [name], "object", object_attrs(t)))
                out.append(line)
            continue
        required, optional, read_only, _, more = groups(payload, path)
        first = True
        for title, lines in (("Required", required), ("Optional", optional), ("Read-Only", read_only)):
            if lines:
                if not first:
                    out.append("")
                out += [f"{title}:", ""] + lines
                first = False
        queue.extend(more)


def render_schema(block: dict, kind: str) -> str:
    required, optional, read_only, adopted, nested = groups(block, [])
    out = ["## Argument Reference"]
    if kind == "data source":
        out += ["", "The following arguments locate the object to read."]
    for title, lines in (("Required", required), ("Optional", optional)):
        if lines:
            out += ["", f"### {title}", ""] + lines
    arg_nested = [n for n in nested if n[2] == "block"]
    att_nested = [n for n in nested if n[2] == "object"]
    render_nested(arg_nested, out)
    if kind not in ("provider", "action", "list resource"):
        out += ["", "## Attribute Reference", "", "In addition to the arguments above, the following attributes are exported."]
        if read_only:
            out += ["", "### Read-Only", ""] + read_only
        if adopted:
            names = ", ".join(f"`{n}`" for n in adopted)
            out += [
                "",
                f"Also exported: {names}. When one of these is not set in the configuration, "
                "it holds the value read from AWS.",
            ]
        render_nested(att_nested, out)
    elif read_only or att_nested:
        raise GenError(f"the {kind} schema has computed attributes; gendocs does not document them")
    return "\n".join(out)


def render_identity(identity: dict) -> str:
    required, optional = [], []
    for name in sorted(identity.get("attributes", {})):
        a = identity["attributes"][name]
        line = attr_line(name, a, ["identity"])
        if a.get("required_for_import"):
            required.append(line)
        elif a.get("optional_for_import"):
            optional.append(line)
        else:
            raise GenError(f"identity attribute {name} is neither required_for_import nor optional_for_import")
    out = ["### Identity Schema"]
    for title, lines in (("Required", required), ("Optional", optional)):
        if lines:
            out += ["", f"{title}:", ""] + lines
    return "\n".join(out)


# --------------------------------------------------------------------------------------
# Templates

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)((?:\s+\"[^\"\n]*\")*)\s*\}\}")
ARG = re.compile(r"\"([^\"\n]*)\"")
LANGUAGES = {".tf": "terraform", ".tfvars": "terraform", ".hcl": "terraform", ".sh": "shell", ".json": "json"}


class Page:
    """What a template documents, from its path."""

    def __init__(self, rel: Path, schema: dict):
        self.rel = rel
        parts = rel.parts
        self.kind, self.name, self.block, self.identity = None, None, None, None
        if parts == ("index.md.tmpl",):
            self.kind, self.name, self.block = "provider", PROVIDER_NAME, schema["provider"]["block"]
        elif len(parts) == 2 and parts[0] in ("resources", "data-sources", "actions", "list-resources"):
            short = parts[1][: -len(".md.tmpl")]
            self.name = f"{PROVIDER_NAME}_{short}"
            table, self.kind = {
                "resources": ("resource_schemas", "resource"),
                "data-sources": ("data_source_schemas", "data source"),
                "actions": ("action_schemas", "action"),
                "list-resources": ("list_resource_schemas", "list resource"),
            }[parts[0]]
            if self.name not in schema.get(table, {}):
                raise GenError(f"templates/{rel}: the provider has no {self.kind} {self.name}")
            self.block = schema[table][self.name]["block"]
            if self.kind == "resource":
                self.identity = schema.get("resource_identity_schemas", {}).get(self.name)
        elif parts[0] != "guides":
            raise GenError(
                f"templates/{rel}: templates go in index.md.tmpl, resources/, data-sources/, actions/, list-resources/ or guides/"
            )

    def need(self, what: str, line: int) -> None:
        if self.block is None:
            raise GenError(f"templates/{self.rel}:{line}: {{{{ {what} }}}} needs a provider, resource, data source or action page")


def example(path: str, where: str) -> str:
    p = Path(path)
    if p.is_absolute() or ".." in p.parts:
        raise GenError(f"{where}: example path {path!r} must be relative to the repository, without '..'")
    f = ROOT / p
    if not f.is_file():
        raise GenError(f"{where}: example file {path} does not exist")
    lang = LANGUAGES.get(f.suffix, "")
    body = f.read_text().rstrip("\n")
    if "```" in body:
        raise GenError(f"{where}: example file {path} contains ``` and cannot be put in a code block")
    return f"```{lang}\n{body}\n```"


def expand(text: str, page: Page) -> str:
    out_lines = []
    for number, line in enumerate(text.split("\n"), start=1):
        where = f"templates/{page.rel}:{number}"

        def replace(m: re.Match) -> str:
            name, args = m.group(1), ARG.findall(m.group(2))
            if name == "example":
                if len(args) != 1:
                    raise GenError(f'{where}: write {{{{ example "PATH" }}}}')
                return example(args[0], where)
            if args:
                raise GenError(f"{where}: {{{{ {name} }}}} takes no arguments")
            if name == "name":
                page.need(name, number)
                return page.name
            if name == "description":
                page.need(name, number)
                return sentence(page.block.get("description", ""))
            if name == "schema":
                page.need(name, number)
                return render_schema(page.block, page.kind)
            if name == "identity_schema":
                if page.identity is None:
                    raise GenError(f"{where}: {{{{ identity_schema }}}} needs a resource with an identity schema")
                return render_identity(page.identity)
            raise GenError(f"{where}: unknown placeholder {m.group(0)}")

        alone = PLACEHOLDER.fullmatch(line.strip())
        if alone:
            indent = line[: len(line) - len(line.lstrip())]
            value = replace(alone)
            out_lines += [indent + l if l else l for l in value.split("\n")]
            continue
        line = PLACEHOLDER.sub(replace, line)
        if "{{" in line or "}}" in line:
            raise GenError(f"{where}: malformed placeholder in {line.strip()!r}")
        out_lines.append(line)
    return "\n".join(out_lines)


FRONT_MATTER = re.compile(r"\A---\n(.*?\n)---\n", re.S)


def tidy(text: str, rel: Path, with_schema: bool) -> str:
    """Front matter checked, generated-file note added, blank-line runs collapsed and
    trailing spaces removed outside code blocks, one final newline."""
    m = FRONT_MATTER.match(text)
    if not m:
        raise GenError(f"templates/{rel}: must start with registry front matter (---, page_title, subcategory, description, ---)")
    keys = [l.split(":", 1)[0] for l in m.group(1).split("\n") if l and not l.startswith(" ")]
    if keys != ["page_title", "subcategory", "description"]:
        raise GenError(f"templates/{rel}: front matter keys must be page_title, subcategory, description (got {', '.join(keys)})")
    note = (
        f"<!-- Generated by tools/gendocs.py from templates/{rel.as_posix()}"
        f"{' and the provider schema' if with_schema else ''}. "
        "Edit the template and run `make docs`; do not edit this file. -->"
    )
    body = text[m.end():].lstrip("\n")
    lines, out, fenced = body.split("\n"), [], False
    for line in lines:
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and not line.lstrip().startswith("```"):
            line = line.rstrip()
            if line == "" and out and out[-1] == "":
                continue
        out.append(line)
    if fenced:
        raise GenError(f"templates/{rel}: unclosed ``` code block")
    return m.group(0) + "\n" + note + "\n\n" + "\n".join(out).strip("\n") + "\n"


def render_all(schema: dict) -> dict[str, str]:
    if not TEMPLATES.is_dir():
        raise GenError(f"{TEMPLATES} does not exist")
    pages: dict[str, str] = {}
    documented = set()
    for tmpl in sorted(TEMPLATES.rglob("*")):
        if tmpl.is_dir():
            continue
        rel = tmpl.relative_to(TEMPLATES)
        if not tmpl.name.endswith(".md.tmpl"):
            raise GenError(f"templates/{rel}: not a .md.tmpl template")
        page = Page(rel, schema)
        if page.kind in ("resource", "data source", "action", "list resource"):
            documented.add((page.kind, page.name))
        out = rel.as_posix()[: -len(".tmpl")]
        if out in NOT_OURS:
            raise GenError(f"templates/{rel}: docs/{out} belongs to another tool")
        pages[out] = tidy(expand(tmpl.read_text(), page), rel, page.block is not None)
    for kind, table, folder in (
        ("resource", "resource_schemas", "resources"),
        ("data source", "data_source_schemas", "data-sources"),
        ("action", "action_schemas", "actions"),
        ("list resource", "list_resource_schemas", "list-resources"),
    ):
        for name in sorted(schema.get(table, {})):
            if (kind, name) not in documented:
                short = name[len(PROVIDER_NAME) + 1:]
                raise GenError(f"the {kind} {name} has no template: add templates/{folder}/{short}.md.tmpl")
    if "index.md" not in pages:
        raise GenError("templates/index.md.tmpl is missing")
    return pages


# --------------------------------------------------------------------------------------
# Writing and checking


def existing_docs() -> dict[str, Path]:
    if not DOCS.is_dir():
        return {}
    return {
        p.relative_to(DOCS).as_posix(): p
        for p in sorted(DOCS.rglob("*"))
        if p.is_file() and p.relative_to(DOCS).as_posix() not in NOT_OURS
    }


def write_tree(pages: dict[str, str], root: Path) -> None:
    for rel, text in pages.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def check(pages: dict[str, str]) -> int:
    with tempfile.TemporaryDirectory(prefix="gendocs-check-") as tmp:
        rendered_root = Path(tmp)
        write_tree(pages, rendered_root)
        rendered = {rel: (rendered_root / rel).read_text() for rel in pages}
    current = existing_docs()
    problems = 0
    for rel in sorted(set(rendered) | set(current)):
        new = rendered.get(rel)
        old = current[rel].read_text() if rel in current else None
        if new == old:
            continue
        problems += 1
        if old is None:
            print(f"docs/{rel}: missing (generated from templates/{rel}.tmpl)")
            old_lines, old_name = [], "/dev/null"
        else:
            old_lines, old_name = old.splitlines(keepends=True), f"a/docs/{rel}"
        if new is None:
            print(f"docs/{rel}: not generated from any template (add templates/{rel}.tmpl or delete it)")
            new_lines, new_name = [], "/dev/null"
        else:
            new_lines, new_name = new.splitlines(keepends=True), f"b/docs/{rel}"
        sys.stdout.writelines(difflib.unified_diff(old_lines, new_lines, old_name, new_name))
    if problems:
        print(f"{STALE} ({problems} file{'s differ' if problems != 1 else ' differs'})", file=sys.stderr)
        return 1
    print(f"docs are up to date ({len(rendered)} files)")
    return 0


def write(pages: dict[str, str]) -> int:
    current = existing_docs()
    for rel, text in pages.items():
        path = DOCS / rel
        if rel in current and current[rel].read_text() == text:
            print(f"docs/{rel}: unchanged")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"docs/{rel}: written")
    for rel in sorted(set(current) - set(pages)):
        current[rel].unlink()
        print(f"docs/{rel}: removed (no template)")
    for d in sorted((p for p in DOCS.rglob("*") if p.is_dir()), reverse=True):
        if not any(d.iterdir()):
            d.rmdir()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Generate docs/ from templates/ and the provider schema.")
    parser.add_argument("--check", action="store_true", help="compare with docs/ instead of writing; exit 1 if stale")
    parser.add_argument("--docs-dir", help="the docs directory to write or check (default: docs/)")
    args = parser.parse_args()
    if args.docs_dir:
        global DOCS
        DOCS = Path(args.docs_dir).resolve()
    try:
        pages = render_all(read_schema())
        return check(pages) if args.check else write(pages)
    except GenError as e:
        print(f"gendocs: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
