"""Reproducible in the builder's environment: a build in another checkout,
under another umask, locale and timezone, gives the same images byte for
byte as the session's default build. make check's build is the default
configuration without its kernel, through the session's compiler cache
(conftest's elsewhere_build: a cached object is one whose compiler input was
the same, so what the environment changes is still compiled); make
check-slow's is the whole default, compiled for real, so the kernel too is
the same elsewhere, and with ccache as without."""
import pytest

from conftest import build_elsewhere, images_differ


def test_images_do_not_depend_on_umask_locale_timezone_or_path(default_image, elsewhere_build):
    differ = images_differ(default_image.out / "images", elsewhere_build.build.out / "images",
                           kernel_less=True)
    assert differ == [], f"differ: {differ}"


@pytest.mark.slow
def test_images_compiled_for_real_elsewhere_are_the_same(default_image, tmp_path):
    other = build_elsewhere(tmp_path, ccache=False)
    differ = images_differ(default_image.out / "images", other.out / "images")
    assert differ == [], f"differ: {differ}"
