"""The public function's zip leaves out the staff API's code: nothing the public app runs may import it."""

from __future__ import annotations

import ast
import zipfile
from pathlib import Path

from scripts import deploy

ROOT = Path(__file__).resolve().parents[2]


def _module_path(name: str) -> Path | None:
    base = ROOT / Path(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imports(path: Path) -> set[str]:
    """Every chalicelib module a file imports, at module level or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("chalicelib")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("chalicelib"):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names if _module_path(f"{node.module}.{a.name}")}
    return found


def _reached_from(entry: Path) -> set[Path]:
    seen: set[Path] = set()
    todo = [entry]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imports(path):
            parts = name.split(".")
            # importing a.b.c runs a/__init__ and a/b/__init__ too
            for i in range(1, len(parts) + 1):
                module = _module_path(".".join(parts[:i]))
                if module is not None:
                    todo.append(module)
    return seen


def test_the_public_app_never_imports_what_its_zip_leaves_out() -> None:
    # GIVEN every module the public app can reach through an import, function-level ones included
    reached = {p.relative_to(ROOT).as_posix() for p in _reached_from(ROOT / "app.py")}
    # THEN the scan saw the request path and the notices (so it can find something)
    assert {"chalicelib/service.py", "chalicelib/notices.py", "chalicelib/staff/labels.py"} <= reached
    # AND none of it is left out of the public zip
    assert not {path for path in reached if path.startswith(deploy.STAFF_ONLY)}


def test_the_public_zip_drops_staff_code_and_its_bytecode_but_the_staff_zip_keeps_it(tmp_path: Path) -> None:
    names = [
        "app.py",
        "chalicelib/service.py",
        "chalicelib/staff_api.py",
        "chalicelib/__pycache__/staff_api.cpython-311.pyc",
        "chalicelib/staff/labels.py",
        "chalicelib/staff/actions.py",
        "chalicelib/staff/__pycache__/actions.cpython-311.pyc",
        "chalicelib/data/inbox/index.html",
        "dns/resolver.py",
    ]
    for app_name, kept in (
        ("next-steps", ["app.py", "chalicelib/service.py", "chalicelib/staff/labels.py"]),
        ("next-steps-staff", [n for n in names if not n.startswith("dns/")]),
    ):
        project = tmp_path / app_name
        (project / ".chalice").mkdir(parents=True)
        (project / ".chalice" / "config.json").write_text(f'{{"app_name": "{app_name}"}}')
        package = project / "deployment.zip"
        with zipfile.ZipFile(package, "w") as archive:
            for name in names:
                archive.writestr(name, "x = 1\n")
        deploy.prune_package(project, package)
        with zipfile.ZipFile(package) as archive:
            assert archive.namelist() == kept
