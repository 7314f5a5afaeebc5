"""Every environment variable the settings read is documented: in `.env.example` (commented,
with its default) and in the README's configuration table."""

import ast
import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def settings_variables() -> set[str]:
    """Names passed to `env.<type>(...)`, `env(...)` and `_secret(...)` in portal/settings.py."""
    tree = ast.parse((BASE_DIR / "portal" / "settings.py").read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        reads_env = (
            isinstance(func, ast.Attribute) and getattr(func.value, "id", None) == "env"
        ) or (isinstance(func, ast.Name) and func.id in {"env", "_secret"})
        first = node.args[0]
        if reads_env and isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
    return names


def test_the_settings_variables_are_found():
    found = settings_variables()

    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "AXES_FAILURE_LIMIT", "NUM_PROXIES"} <= found
    assert len(found) > 50


def test_every_settings_variable_is_in_the_env_example():
    text = (BASE_DIR / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))

    assert sorted(settings_variables() - listed) == []


def test_every_settings_variable_is_in_the_readme_configuration_table():
    readme = (BASE_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    documented = set()
    for row in rows:
        first_cell = row.split("|")[1]
        names = re.findall(r"`([A-Z_][A-Z0-9_]*)`", first_cell)
        # "`GETT_SANDBOX_FETCH_CONNECT_TIMEOUT` / `_READ_TIMEOUT`": a suffix of the first name.
        stem = names[0].rsplit("_", 2)[0] if names else ""
        documented |= {f"{stem}{name}" if name.startswith("_") else name for name in names}

    assert sorted(settings_variables() - documented) == []
