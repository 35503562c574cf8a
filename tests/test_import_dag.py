"""The project's modules import each other as a DAG: no circle of imports, not even one closed
by an import inside a function (such a circle only waits for the first call to bite).

The graph is read from the source with `ast`, never by importing anything: every `import` and
`from … import` anywhere in a module counts, relative ones resolved; `from pkg import name`
counts as an import of `pkg` and, when `pkg.name` is a module, of `pkg.name` too; a name that is
not a module counts as its module (`parsers.model.Report` → `parsers.model`). A package's own
`__init__` importing its submodules is no circle: importing `pkg.sub` runs `pkg/__init__` first,
but that is Python's doing, not an edge either module wrote.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _modules(packages: tuple[str, ...], root: Path) -> tuple[dict[str, Path], set[str]]:
    """Module name → source file, and the namespace packages (folders without __init__.py)."""
    modules: dict[str, Path] = {}
    namespaces: set[str] = set()
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            parts = path.relative_to(root).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
        for folder in (root / pkg).rglob("*"):
            if folder.is_dir() and not (folder / "__init__.py").exists() and "__pycache__" not in folder.parts:
                namespaces.add(".".join(folder.relative_to(root).parts))
    return modules, namespaces


def imported_names(packages: tuple[str, ...], root: Path = ROOT) -> dict[str, set[str]]:
    """Each module of `packages` → every dotted name it imports (absolute; other libraries too)."""
    modules, _ = _modules(packages, root)
    out: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[:len(package) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                names.add(source)
                names.update(f"{source}.{alias.name}" for alias in node.names if alias.name != "*")
        out[name] = names
    return out


def import_graph(packages: tuple[str, ...], root: Path = ROOT) -> dict[str, set[str]]:
    """Module → the modules of `packages` it imports (every module is a key)."""
    modules, namespaces = _modules(packages, root)

    def module_of(dotted: str) -> str | None:
        while dotted and dotted not in modules:
            if dotted in namespaces:  # a namespace package runs no code of its own
                return None
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, names in imported_names(packages, root).items():
        for dotted in names:
            target = module_of(dotted) if dotted.split(".")[0] in packages else None
            if target and target != name:
                graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles: strongly connected components of more than one module (Tarjan's
    algorithm, iterative), each sorted, in sorted order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            v, targets = work[-1]
            w = next(targets, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def _describe(graph: dict[str, set[str]], circle: list[str]) -> str:
    members = set(circle)
    return "; ".join(f"{m} -> {', '.join(sorted(graph[m] & members))}" for m in circle)


FOREIGN = ("crawler", "archive", "scrapy", "twisted")  # the parser runs without the crawler


def test_parsers_import_graph_has_no_cycles():
    # the finder itself: a circle of two is found, a chain is not a circle
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []

    graph = import_graph(("parsers",))
    # the graph is the real one: every module, the front door's lazy imports, relative and
    # `from pkg import module` imports all read
    assert {"parsers", "parsers.report", "parsers.extract.ocr", "parsers.tables.read"} <= set(graph)
    assert {"parsers.extract", "parsers.report", "parsers.extract.ocr_arith"} <= graph["parsers"]
    assert "parsers.tables.templates" in graph["parsers.checks"]
    assert "parsers.tables.read" in graph["parsers.extract.ocr"]

    circles = cycles(graph)
    assert circles == [], "import circles in parsers/: " + " | ".join(_describe(graph, c) for c in circles)

    foreign = sorted(f"{module} imports {name}" for module, names in imported_names(("parsers",)).items()
                     for name in names if name.split(".")[0].split("_")[0] in FOREIGN)
    assert foreign == [], "parsers/ must run without the crawler and the archive: " + "; ".join(foreign)


LAYERS = ("parsers", "archive", "crawler", "nianbao")  # each may import only those before it


def test_the_whole_project_imports_as_a_dag_in_data_flow_order():
    """fetch (crawler) → parse (parsers) → store and publish (archive): crawler/ may use the
    archive and the parser, the archive the parser, never the other way round; inside crawler/
    the launcher, the spider, the pipelines and distributed mode form no circle (they once did,
    through imports inside functions: cli ↔ distributed ↔ middlewares ↔ spider ↔ writer)."""
    graph = import_graph(LAYERS)
    # the real graph: the spider reads the launcher's registry, the pipelines the parse pool, the
    # launcher the URL helpers, the CLI the launcher
    assert "crawler.launch" in graph["crawler.spiders.reports"]
    assert "crawler.parsing" in graph["crawler.pipelines"]
    assert "crawler.urls" in graph["crawler.launch"]
    assert "crawler.launch" in graph["crawler.cli"]

    circles = cycles(graph)
    assert circles == [], "import circles: " + " | ".join(_describe(graph, c) for c in circles)

    upward = sorted(f"{module} imports {target}" for module, targets in graph.items() for target in targets
                    if LAYERS.index(target.split(".")[0]) > LAYERS.index(module.split(".")[0]))
    assert upward == [], "imports against the data flow: " + "; ".join(upward)

    # the spider and its helpers never reach for the command line; distributed mode runs without
    # the one-process pipeline, the spider module and the CLI (it launches the spider by name)
    for module, targets in graph.items():
        if module.startswith("crawler.") and module != "crawler.cli":
            assert "crawler.cli" not in targets, f"{module} imports crawler.cli"
        if module.startswith("crawler.distributed"):
            assert not targets & {"crawler.spiders.reports", "crawler.pipelines"}, (module, targets)
