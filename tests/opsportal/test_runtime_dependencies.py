"""Every module the apps import at run time comes with `pip install .` (pyproject's dependencies and what
they require), not only with the test extras: `packaging`, pulled in by pytest alone, once broke `make
run` on a fresh machine while the whole suite passed."""

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ["opsportal", "slos", "incidents", "retros", "knowledgebase", "capacity", "oncall", "dependencies",
        "experience"]


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _runtime_distributions() -> set[str]:
    """pyproject's dependencies and, recursively, what they require (extras and markers not taken)."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    todo, seen = [_name(r) for r in declared], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [_name(r) for r in requires if "extra ==" not in r]
    return seen


def _imported_top_levels() -> dict[str, str]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_of_the_apps_is_a_runtime_dependency():
    runtime = _runtime_distributions()
    providers = metadata.packages_distributions()
    local = set(APPS) | {p.name for p in ROOT.iterdir() if p.is_dir()} | {"manage"}
    missing = {}
    for module, where in _imported_top_levels().items():
        if module in sys.stdlib_module_names or module in local or module == "__future__":
            continue
        if (ROOT / where).with_name(f"{module}.py").exists():  # a lone-file fallback to a sibling module
            continue
        distributions = {d.lower().replace("_", "-") for d in providers.get(module, [])}
        if not distributions & runtime:
            missing[module] = (where, sorted(distributions) or "not installed")
    assert not missing, f"imported by the apps but not installed by `pip install .`: {missing}"
