"""The architecture gate: no import cycles, imports one way (views -> features -> models -> core), no import
hidden inside a function to dodge a cycle, and no feature reading the request.

import-linter (`make lint`, contracts in setup.cfg) checks the layers too; this test also runs in `make test`.
"""

import ast
import pathlib

import grimp
import pytest

PACKAGE = "marina_portal"
ROOT = pathlib.Path(__file__).resolve().parent.parent / PACKAGE
NOT_FEATURES = {"core", "views", "migrations", "static", "templates", "translations"}
FEATURES = sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name not in NOT_FEATURES)
# Heavy libraries kept out of page-serving workers until a page needs them: the only imports allowed in a function.
LAZY = {
    "asn1crypto",
    "cryptography",
    "facturx",
    "lxml",  # only the direct-debit file needs it: kept out of page-serving workers
    "pikepdf",
    "pycountry",  # loads its country tables on first use: only when an address is checked
    "pyhanko",
    "pyhanko_certvalidator",
    "pypdf",
    "reportlab",
    "schwifty",
    "segno",
    "sepaxml",
    "weasyprint",
    "xhtml2pdf",
    "zxcvbn",  # its dictionaries load in about a second: only when a password is chosen
}
WEB_ONLY = {"request", "session", "flash", "g"}  # what the web layer owns: rules never touch them


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(PACKAGE)


def cycles(graph):
    """The strongly connected components of more than one module (Tarjan), each a sorted list."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(start):
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
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

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_back(graph):
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    toy = grimp.ImportGraph()
    for name in ("a", "a.b", "a.c", "a.d"):
        toy.add_module(name)
    toy.add_import(importer="a.b", imported="a.c")
    toy.add_import(importer="a.c", imported="a.b")
    toy.add_import(importer="a.d", imported="a.b")
    assert cycles(toy) == [["a.b", "a.c"]]


def _illegal(graph, importers, imported):
    found = []
    for source in importers:
        for target in imported:
            chain = graph.find_shortest_chain(importer=source, imported=target)
            if chain:
                found.append(" -> ".join(chain))
    return found


def _with_children(graph, names):
    out = []
    for name in names:
        out.append(name)
        if name in graph.modules:
            out.extend(graph.find_descendants(name))
    return sorted(set(out))


def test_core_knows_no_feature_and_no_page(graph):
    core = _with_children(graph, [f"{PACKAGE}.core"])
    above = [f"{PACKAGE}.{name}" for name in FEATURES + ["views", "cli", "worker", "demo"]]
    direct = [
        f"{imp['importer']} -> {imp['imported']}"
        for source in core
        for target in _with_children(graph, above)
        for imp in graph.get_import_details(importer=source, imported=target)
    ]
    assert direct == []


def test_rules_never_import_the_web_layer(graph):
    rules = _with_children(graph, [f"{PACKAGE}.{name}" for name in FEATURES] + [f"{PACKAGE}.models"])
    web = _with_children(graph, [f"{PACKAGE}.views"])
    direct = [
        f"{imp['importer']} -> {imp['imported']}"
        for source in rules
        for target in web
        for imp in graph.get_import_details(importer=source, imported=target)
    ]
    assert direct == []


def test_imports_inside_functions_are_only_for_heavy_lazy_libraries():
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for sub in ast.walk(node):
                if isinstance(sub, ast.ImportFrom):
                    names = [sub.module or ""]
                elif isinstance(sub, ast.Import):
                    names = [alias.name for alias in sub.names]
                else:
                    continue
                for name in names:
                    if name.split(".")[0] not in LAZY:
                        found.append(f"{path.relative_to(ROOT.parent)}:{sub.lineno} imports {name}")
    assert sorted(set(found)) == []


def test_rules_never_touch_the_request():
    found = []
    for feature in FEATURES + ["core"]:
        for path in sorted((ROOT / feature).rglob("*.py")):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module == "flask":
                    touched = {alias.name for alias in node.names} & WEB_ONLY
                    if feature == "core":
                        touched -= {"request", "session", "g"}  # i18n reads the request's language, db counts on g
                    if touched:
                        found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} imports {sorted(touched)}")
    assert found == []


# The plumbing and the rules modules other code calls most: their public functions say what they take and give.
TYPED = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "core").glob("*.py")) + [
    "billing/invoicing.py",
    "sepa/mandates.py",
    "sealing/seals.py",
    "port_life/waiting_list.py",
]


@pytest.mark.parametrize("module", TYPED)
def test_public_functions_of_core_and_the_rules_modules_have_type_hints(module):
    missing = []
    for node in ast.parse((ROOT / module).read_text(encoding="utf-8")).body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.name.startswith("_"):
            continue
        arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
        arguments += [a for a in (node.args.vararg, node.args.kwarg) if a is not None]
        untyped = [a.arg for a in arguments if a.annotation is None]
        if untyped or node.returns is None:
            missing.append(f"{node.name}({', '.join(untyped)}){'' if node.returns else ' -> ?'}")
    assert missing == [], f"{module}: {missing}"
