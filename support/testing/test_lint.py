"""The tree's shell scripts are shellcheck-clean."""
import re
import shutil
import subprocess

import pytest

from conftest import TOPDIR


def shell_scripts():
    """The tree's files (git's list: no build output) that start #!.../sh or bash."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=TOPDIR, check=True,
                             stdout=subprocess.PIPE).stdout.decode().split("\0")
    scripts = []
    for path in (TOPDIR / name for name in tracked if name):
        if not path.is_file():
            continue
        with open(path, "rb") as f:
            first = f.readline()
        if first.startswith(b"#!") and first.split(b"/")[-1].strip() in (b"sh", b"bash"):
            scripts.append(path)
    return scripts


def sourced_by(script):
    """The files a script sources from its own directory ("$script_dir/...")."""
    return [script.parent / name for name in re.findall(r'^\. "\$script_dir/(\S+)"$', script.read_text(), re.M)]


@pytest.mark.skipif(not shutil.which("shellcheck"), reason="shellcheck is not installed")
def test_shell_scripts_are_shellcheck_clean():
    scripts = shell_scripts()
    assert TOPDIR / "board/qemu/start.sh" in scripts and TOPDIR / ".ci/run" in scripts
    sourced = set((TOPDIR / "board/qemu/launcher").glob("*.sh"))
    assert sourced and sourced <= set(sourced_by(TOPDIR / "board/qemu/start.sh"))
    # The files start.sh sources (no #!) are checked too; -x follows them.
    result = subprocess.run(["shellcheck", "-x", *map(str, scripts + sorted(sourced))], text=True,
                            stdout=subprocess.PIPE, cwd=TOPDIR)
    assert result.returncode == 0, result.stdout
