"""The build step behind `make package`: which modules get bytecode, and a zip that holds only ours."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from scripts import deploy


def _zip(path: Path, names: list[str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name in names:
            archive.writestr(name, b"x")
    return path


def test_modules_a_handler_imports_get_bytecode_and_the_never_imported_parts_stay_source() -> None:
    for name in ("app.py", "chalicelib/store.py", "pydantic/main.py", "phonenumbers/data/region_US.py"):
        assert deploy.compiled(name, "US"), name
    for name in ("dns/resolver.py", "pydantic/v1/main.py", "phonenumbers/data/region_GB.py"):
        assert not deploy.compiled(name, "US"), name
    assert deploy.compiled("phonenumbers/data/region_GB.py", "GB")


def test_compiled_bytecode_is_laid_out_for_python_311_and_never_checked_against_the_source(tmp_path: Path) -> None:
    package = tmp_path / "deployment.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "X = 1\n")
        archive.writestr("chalicelib/settings.py", "Y = 2\n")
        archive.writestr("dns/name.py", "Z = 3\n")
    vendor = tmp_path / "vendor"
    assert deploy.compile_zip(package, vendor) == 2
    app_pyc = vendor / "__pycache__" / "app.cpython-311.pyc"
    assert sorted(p.relative_to(vendor).as_posix() for p in vendor.rglob("*.pyc")) == [
        "__pycache__/app.cpython-311.pyc",
        "chalicelib/__pycache__/settings.cpython-311.pyc",
    ]
    flags = int.from_bytes(app_pyc.read_bytes()[4:8], "little")
    assert flags == 0b01  # hash-based, not checked against the source


def test_a_package_with_bytecode_that_is_not_ours_or_twice_the_same_file_is_refused(tmp_path: Path) -> None:
    vendor = tmp_path / "vendor"
    (vendor / "chalicelib" / "__pycache__").mkdir(parents=True)
    (vendor / "chalicelib" / "__pycache__" / "store.cpython-311.pyc").write_bytes(b"x")
    good = ["app.py", "chalicelib/store.py", "chalicelib/__pycache__/store.cpython-311.pyc"]
    deploy.check_package(_zip(tmp_path / "good.zip", good), vendor)

    stray = [*good, "chalicelib/__pycache__/store.cpython-311-pytest-8.4.2.pyc"]
    with pytest.raises(deploy.DeployError, match="pytest"):
        deploy.check_package(_zip(tmp_path / "stray.zip", stray), vendor)

    with pytest.warns(UserWarning, match="Duplicate name"):
        twice = _zip(tmp_path / "twice.zip", [*good, "chalicelib/__pycache__/store.cpython-311.pyc"])
    with pytest.raises(deploy.DeployError, match=r"store\.cpython-311\.pyc"):
        deploy.check_package(twice, vendor)


def test_a_refused_package_is_dropped_from_chalices_cache_so_the_next_run_builds_it_anew(tmp_path: Path) -> None:
    cache = tmp_path / ".chalice" / "deployments"
    cache.mkdir(parents=True)
    refused = _zip(tmp_path / "deployment.zip", ["app.py", "chalicelib/__pycache__/x.cpython-311.pyc"])
    (cache / "aaa-python3.11.zip").write_bytes(refused.read_bytes())
    (cache / "bbb-python3.11.zip").write_bytes(_zip(tmp_path / "other.zip", ["app.py"]).read_bytes())
    deploy._forget_cached(tmp_path, refused)
    assert sorted(p.name for p in cache.iterdir()) == ["bbb-python3.11.zip"]


def test_packages_no_handler_can_import_leave_the_zip_and_chalices_cached_copy_alike(tmp_path: Path) -> None:
    # GIVEN Chalice's zip and its cached copy, holding dnspython (email_validator's
    # deliverability check, which the app never runs), pydantic's 1.x API and its mypy plugin
    cache = tmp_path / ".chalice" / "deployments"
    cache.mkdir(parents=True)
    names = ["app.py", "dns/__init__.py", "dns/resolver.py", "idna/core.py", "pydantic/v1/main.py", "pydantic/mypy.py"]
    package = _zip(tmp_path / "deployment.zip", [*names, "pydantic/main.py"])
    (cache / "aaa-python3.11.zip").write_bytes(package.read_bytes())
    (cache / "bbb-python3.11.zip").write_bytes(_zip(tmp_path / "other.zip", ["app.py", "dns/x.py"]).read_bytes())
    # WHEN the package is pruned
    deploy.prune_package(tmp_path, package)
    # THEN neither the zip nor its cached copy (which `chalice deploy` ships) holds them,
    # the two are byte for byte the same, and another cached zip is left alone
    with zipfile.ZipFile(package) as archive:
        assert archive.namelist() == ["app.py", "idna/core.py", "pydantic/main.py"]
    assert (cache / "aaa-python3.11.zip").read_bytes() == package.read_bytes()
    with zipfile.ZipFile(cache / "bbb-python3.11.zip") as archive:
        assert archive.namelist() == ["app.py", "dns/x.py"]
