"""Reproducible in the builder's environment: a build in another checkout,
under another umask, locale and timezone, gives the same images byte for
byte as the session's default build. make check's build goes through the
session's compiler cache (a cached object is one whose compiler input was
the same, so what the environment changes is still compiled); make
check-slow's compiles everything for real, so the kernel is also the same
with ccache as without."""
import os
import stat
import subprocess

import pytest

from conftest import IMAGE_DL_DIR, Build, copy_of_the_tree, images_differ


def group_writable_checkout(dest):
    """A copy of the tree as a checkout made under umask 0002 would have it."""
    copy_of_the_tree(dest)
    for root, dirs, files in os.walk(dest):
        for name in dirs + files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | stat.S_IWGRP)


def estonian_locale(dest):
    """et_EE.UTF-8 (day names unlike English, a decimal comma), made for the
    test alone: LOCPATH points the C library at it."""
    subprocess.run(["localedef", "-i", "et_EE", "-f", "UTF-8", str(dest / "et_EE.UTF-8")],
                   check=True, capture_output=True)
    env = {"LOCPATH": str(dest), "LC_ALL": "et_EE.UTF-8", "LANG": "et_EE.UTF-8"}
    probe = subprocess.run(["date", "-d", "@0", "+%a"], env=dict(os.environ, **env),
                           capture_output=True, text=True, check=True).stdout.strip()
    assert probe != "Thu", "the test locale did not take effect"
    return env


@pytest.mark.parametrize("ccache", [True, pytest.param(False, marks=pytest.mark.slow)],
                         ids=["through-the-session-cache", "compiled-for-real"])
def test_images_do_not_depend_on_umask_locale_timezone_or_path(default_image, tmp_path, ccache):
    checkout = tmp_path / "checkout"
    group_writable_checkout(checkout)
    env = dict(estonian_locale(tmp_path), TZ="XXX-14")
    other = Build(tmp_path / "out", IMAGE_DL_DIR, ccache=ccache)
    old_umask = os.umask(0o002)
    try:
        other.make("qemu_x86_64_defconfig", cwd=checkout, env=env)
        other.make(cwd=checkout, env=env)
    finally:
        os.umask(old_umask)
    differ = images_differ(default_image.out / "images", other.out / "images")
    assert differ == [], f"differ: {differ}"
