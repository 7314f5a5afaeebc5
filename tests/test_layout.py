"""Import rules for the layout in STYLE.md, read from the source with `ast`.

Every top-level package in the repository is scanned (except `tests` and `bench`, which drive
the portal from outside: a benchmark may speak HTTP and seed the sandbox), so new apps, slices and
modules are covered without touching this file. Imports inside functions and `TYPE_CHECKING`
blocks count too: they couple modules just the same.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]

# The portal's own apps; `gett` speaks to Gett and must not know them.
PORTAL_APPS = {"stores", "catalogs", "orders", "onboarding"}
# Apps whose views no other app may import (a view is an edge, not a library).
VIEW_OWNERS = PORTAL_APPS | {"portal", "gett"}

# STYLE.md: only the Gett client (and the sandbox's outbound client, Gett's side of the wire)
# speak HTTP.
REQUESTS_ALLOWED = {"gett/client.py", "gett/sandbox/partner_http.py"}

# Pages that still import another app's views (the last test below fails once one stops: then
# delete its line here). Catalogs pages now ask `stores.access`.
KNOWN_VIEW_IMPORTS: set[tuple[str, str]] = set()

# Outside `gett/sandbox/`, only these may import the sandbox. `portal/urls.py` mounts it with a
# string (`include("gett.sandbox.urls")`) and INSTALLED_APPS names it, so neither imports it.
# Nothing: the demo data goes on Gett through onboarding, over HTTP, like a merchant's stores.
SANDBOX_IMPORTERS: set[str] = set()

# `gett` may use the error types every edge shares; nothing else from the portal.
GETT_MAY_IMPORT_FROM_PORTAL = {"portal.exceptions"}


def _packages() -> list[Path]:
    return sorted(
        path
        for path in BASE_DIR.iterdir()
        if path.is_dir() and (path / "__init__.py").exists() and path.name not in {"tests", "bench"}
    )


def _modules() -> Iterator[tuple[str, str]]:
    """(path relative to the repository, dotted module name) of every source module."""
    for package in _packages():
        for path in sorted(package.rglob("*.py")):
            relative = path.relative_to(BASE_DIR)
            parts = list(relative.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield relative.as_posix(), ".".join(parts)


def _imports(path: str, module: str) -> set[str]:
    """Every dotted name the module imports: `from a.b import c` gives `a.b` and `a.b.c` (c may
    be a module); relative imports are resolved."""
    tree = ast.parse((BASE_DIR / path).read_text(), filename=path)
    is_package = path.endswith("__init__.py")
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = module.split(".")
                keep = len(parts) - node.level + (1 if is_package else 0)
                base = ".".join(parts[:keep] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def _imported_by_each_module() -> dict[str, set[str]]:
    return {path: _imports(path, module) for path, module in _modules()}


def _is_or_under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_the_scan_sees_the_apps():
    scanned = {package.name for package in _packages()}
    assert PORTAL_APPS | {"portal", "gett"} <= scanned
    assert "gett/client.py" in _imported_by_each_module()


def test_only_the_gett_clients_import_requests():
    offenders = sorted(
        path
        for path, names in _imported_by_each_module().items()
        if any(_is_or_under(name, "requests") for name in names) and path not in REQUESTS_ALLOWED
    )
    assert offenders == []


def _view_imports_across_apps() -> set[tuple[str, str]]:
    found = set()
    for path, names in _imported_by_each_module().items():
        own_app = path.split("/")[0]
        for name in names:
            parts = name.split(".")
            if parts[0] in VIEW_OWNERS and parts[0] != own_app and "views" in parts[1:]:
                # Report the views module itself (`stores.views`, `catalogs.editor.views`).
                found.add((path, ".".join(parts[: parts.index("views") + 1])))
    return found


def test_no_app_imports_another_apps_views():
    assert sorted(_view_imports_across_apps() - KNOWN_VIEW_IMPORTS) == []


def test_nothing_outside_the_sandbox_imports_it():
    offenders = sorted(
        path
        for path, names in _imported_by_each_module().items()
        if not path.startswith("gett/sandbox/")
        and path not in SANDBOX_IMPORTERS
        and any(_is_or_under(name, "gett.sandbox") for name in names)
    )
    assert offenders == []


def test_gett_imports_no_portal_app():
    offenders = sorted(
        (path, name)
        for path, names in _imported_by_each_module().items()
        if path.startswith("gett/")
        for name in names
        if name.split(".")[0] in PORTAL_APPS | {"portal"}
        and not any(_is_or_under(name, allowed) for allowed in GETT_MAY_IMPORT_FROM_PORTAL)
    )
    assert offenders == []


def test_known_exceptions_still_exist():
    """An exception that no longer happens is removed, so it cannot come back unnoticed."""
    imports = _imported_by_each_module()
    stale_views = sorted(KNOWN_VIEW_IMPORTS - _view_imports_across_apps())
    stale_sandbox = sorted(
        path
        for path in SANDBOX_IMPORTERS
        if not any(_is_or_under(name, "gett.sandbox") for name in imports.get(path, ()))
    )
    assert stale_views == [], "delete these from KNOWN_VIEW_IMPORTS"
    assert stale_sandbox == [], "delete these from SANDBOX_IMPORTERS"
