"""The import graph of mnc_exchange: no cycles, and the domains depend on each other in the
order of the programme's year (an earlier step never imports a later one).

Every ``import`` / ``from … import`` counts, at module level and inside functions; relative
imports are resolved and ``from package import module`` counts as the module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import mnc_exchange

ROOT = Path(mnc_exchange.__file__).parent
PACKAGE = ROOT.name


def _modules() -> dict[str, Path]:
    modules = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def import_graph() -> dict[str, set[str]]:
    """module → the mnc_exchange modules it imports."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                for alias in node.names:
                    submodule = f"{source}.{alias.name}"
                    targets.add(submodule if submodule in modules else source)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle():
    found = cycles(import_graph())
    assert not found, "import cycles between mnc_exchange modules:\n" + "\n".join(
        " ↔ ".join(c) for c in found
    )


# --- layers ------------------------------------------------------------------------------------

#: The rank of each part of the package (the longest matching prefix wins). A module may import
#: modules of its own rank or below, never above. Shared infrastructure is below every domain;
#: the domains follow the programme's year; the entry points and pages are on top.
LAYERS: dict[str, int] = {
    # shared infrastructure
    "config": 0,
    "core": 0,
    "extensions": 0,
    "security": 0,
    "internship_law": 0,
    "matching": 0,
    "mail": 0,
    # who the users are (roles, the audit's actor, permissions) and the company a host
    # contact belongs to (users.company_id)
    "accounts.models": 1,
    "hosts.models": 1,
    # the programme's reference lists (regions, MNC poles, languages, document kinds): pure data
    "applications.reference": 1,
    "audit": 2,
    "permissions": 2,
    "templating": 2,
    # the domains, in the order of the year
    "accounts": 10,
    "hosts": 11,
    "cohorts": 12,
    "applications": 13,
    "selection": 14,
    "offers": 15,
    "placements": 16,
    "agreements": 17,
    "followup": 18,
    "reports": 19,
    "maintenance": 20,  # backups, personal data export and retention go through every step
}
TOP = 100
#: On top, free to import anything: the application factory and its wiring, the CLI, the demo
#: data, the pages (views, the access rules the views apply, dashboards, administration).
TOP_MODULES = (
    "",  # create_app
    "wiring",
    "models",
    "errors",
    "cli",
    "demo",
    "main",
    "admin",
)
TOP_SUFFIXES = ("views", "cli", "access")

#: Reads of a later step's tables that stay where they are (import, reason).
KNOWN_READS: set[tuple[str, str]] = set()  # none: every import follows the year


def rank(module: str) -> int:
    name = module.removeprefix(PACKAGE).removeprefix(".")
    last = name.rsplit(".", 1)[-1]
    if name in TOP_MODULES or name.split(".")[0] in TOP_MODULES:
        return TOP
    if "." in name and last.split("_")[0] in TOP_SUFFIXES:
        return TOP
    parts = name.split(".")
    for size in range(len(parts), 0, -1):
        prefix = ".".join(parts[:size])
        if prefix in LAYERS:
            return LAYERS[prefix]
    raise AssertionError(f"{module} has no layer: add it to LAYERS in {__file__}")


def test_an_earlier_step_never_imports_a_later_one():
    wrong = []
    for module, targets in sorted(import_graph().items()):
        for target in sorted(targets):
            pair = (module.removeprefix(PACKAGE + "."), target.removeprefix(PACKAGE + "."))
            if rank(target) > rank(module) and pair not in KNOWN_READS:
                wrong.append(
                    f"{pair[0]} (rank {rank(module)}) imports {pair[1]} (rank {rank(target)})"
                )
    assert not wrong, "imports against the order of the year:\n" + "\n".join(wrong)


def test_every_reaction_is_connected(app):
    """create_app connects the later steps' receivers (the app, the CLI and the tests)."""
    from mnc_exchange.core import signals

    for signal in (
        signals.application_withdrawn,
        signals.placement_confirmed,
        signals.agreement_amended,
        signals.tutor_appraisal,
    ):
        assert signal.receivers, signal.name
