"""tinyinit's Makefile (the package layer's interface), static builds with glibc
and musl, and the cmocka unit tests of its parsing functions."""
import shutil
import subprocess

import pytest

from .tinyinit_lib import BUILDS, HERE, SRC, build_package_style, build_tinyinit, make_env

SOURCES = {"Makefile", "tinyinit.c", "parse.c", "parse.h"}


def is_static(binary):
    headers = subprocess.run(["readelf", "-lW", str(binary)], check=True, text=True,
                             stdout=subprocess.PIPE).stdout
    return "INTERP" not in headers and "DYNAMIC" not in headers


def test_unit_tests_pass(tmp_path):
    """The cmocka tests of parse.c, under AddressSanitizer and UBSan."""
    unit = tmp_path / "unit"
    subprocess.run(["gcc", "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror", "-g",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                    f"-I{SRC}", str(HERE / "test_tinyinit_parse.c"), str(SRC / "parse.c"),
                    "-lcmocka", "-o", str(unit)], check=True, timeout=60)
    result = subprocess.run([str(unit)], text=True, timeout=60,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert result.returncode == 0, result.stdout
    assert "[  PASSED  ] 11 test(s)." in result.stdout, result.stdout
    assert "FAILED" not in result.stdout


def test_makefile_flags_and_install(tmp_path):
    """As the package layer calls it: its own CC/CFLAGS/LDFLAGS/CPPFLAGS (the
    menu's choices as defines in a forced include), and install to DESTDIR."""
    log = build_package_style(tmp_path, "-O1 -DCALLER_CFLAGS", "-DCALLER_CPPFLAGS")
    compiles = [line for line in log.splitlines() if " -c " in line]
    assert len(compiles) == 2, log
    for line in compiles:
        for flag in ("-std=c11", "-Wall", "-Wextra", "-Werror", "-DCALLER_CFLAGS",
                     "-DCALLER_CPPFLAGS", "-O1"):
            assert flag in line.split(), (flag, line)
    subprocess.run(["make", "-C", str(tmp_path / "src"), "install", f"DESTDIR={tmp_path / 'target'}"],
                   env=make_env(), check=True, timeout=60, stdout=subprocess.PIPE)
    installed = tmp_path / "target" / "sbin" / "tinyinit"
    assert installed.is_file() and installed.stat().st_mode & 0o111
    assert is_static(installed)
    # The defines' effect is checked by booting such a build: test_tinyinit_boot.py.


def test_builds_statically_with_musl(tmp_path):
    if shutil.which("musl-gcc") is None:
        pytest.skip("musl-gcc is not installed")
    binary, _ = build_tinyinit(tmp_path, **BUILDS["musl"])
    assert is_static(binary)


def test_builds_out_of_tree(tmp_path):
    """make -f <src>/Makefile from another directory writes nothing into src."""
    before = sorted(p.name for p in SRC.iterdir())
    subprocess.run(["make", "-f", str(SRC / "Makefile"), "CC=gcc"], cwd=tmp_path, env=make_env(), check=True,
                   timeout=120, stdout=subprocess.PIPE)
    assert (tmp_path / "tinyinit").is_file()
    assert sorted(p.name for p in SRC.iterdir()) == before


def test_source_directory_holds_only_sources():
    assert {p.name for p in SRC.iterdir()} == SOURCES
