"""Fixtures for tinyinit's tests (helpers in tinyinit_lib.py)."""
import pytest

from .tinyinit_lib import BUILDS, NO_NAMESPACES, NO_NAMESPACES_REASON, Boot, Variant, build_tinyinit


@pytest.fixture(scope="session", params=["static", "asan"])
def tinyinit(request, tmp_path_factory):
    """The init, built once per session per variant; the namespace tests run
    with each."""
    binary, _ = build_tinyinit(tmp_path_factory.mktemp(f"build-{request.param}"),
                               **BUILDS[request.param])
    return Variant(request.param, binary)


@pytest.fixture
def boot(tmp_path, tinyinit):
    """A not yet started Boot; stopped, and checked for sanitizer reports, after the test."""
    if NO_NAMESPACES:
        pytest.skip(NO_NAMESPACES_REASON)
    b = Boot(tmp_path, tinyinit)
    try:
        yield b
    finally:
        b.close()
    reports = b.sanitizer_reports()
    assert not reports, "sanitizer reports:\n" + "\n".join(reports)
