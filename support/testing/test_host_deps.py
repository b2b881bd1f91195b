"""The host packages: the README's first command and the host check's advice
work for root without sudo (containers, CI) as for a user with sudo."""
import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import TOPDIR

INSTALL = TOPDIR / "support" / "scripts" / "install-host-deps"


def readme_install_command():
    quick_start = (TOPDIR / "README.md").read_text().split("## Quick start", 1)[1]
    return next(line.split("#")[0].split() for line in quick_start.splitlines()
                if "install-host-deps" in line)


def fake_bin(tmp_path, with_sudo):
    """A PATH whose apt-get (and sudo, if asked) only record their calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls"
    stubs = {"apt-get": f'echo "apt-get $*" >>{log}\n'}
    if with_sudo:
        stubs["sudo"] = f'echo "sudo $1" >>{log}\n"$@"\n'
    for name, body in stubs.items():
        (bin_dir / name).write_text("#!/bin/sh\n" + body)
        (bin_dir / name).chmod(0o755)
    for tool in ("env", "id", "sh", "dirname"):
        (bin_dir / tool).symlink_to(subprocess.check_output(["which", tool], text=True).strip())
    return str(bin_dir), log


def run_as(user, command, path):
    prefix = [] if user == "root" else ["runuser", "-u", user, "--"]
    return subprocess.run(prefix + ["env", f"PATH={path}"] + command, cwd=TOPDIR,
                          text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_readme_command_works_for_root_without_sudo(tmp_path):
    command = readme_install_command()
    assert command[0] != "sudo", "the README's first command must not need sudo"
    path, log = fake_bin(tmp_path, with_sudo=False)
    result = run_as("root", command, path)
    assert result.returncode == 0, result.stdout
    calls = log.read_text().splitlines()
    assert calls[0].startswith("apt-get update") and calls[1].startswith("apt-get install")


@pytest.fixture
def shared_tmp():
    """A directory an ordinary user can reach (pytest's own are 0700)."""
    with tempfile.TemporaryDirectory() as name:
        os.chmod(name, 0o755)
        yield Path(name)


def test_a_user_goes_through_sudo(shared_tmp):
    path, log = fake_bin(shared_tmp, with_sudo=True)
    log.write_text("")
    log.chmod(0o666)
    result = run_as("nobody", [str(INSTALL)], path)
    assert result.returncode == 0, result.stdout
    assert log.read_text().splitlines()[0] == "sudo env"


def test_a_user_without_sudo_is_told_what_to_do(shared_tmp):
    path, _ = fake_bin(shared_tmp, with_sudo=False)
    result = run_as("nobody", [str(INSTALL)], path)
    assert result.returncode != 0
    assert "run as root or install sudo" in result.stdout


def test_host_check_advises_the_command_as_it_is(tmp_path):
    path, _ = fake_bin(tmp_path, with_sudo=True)  # no kconfig tools on it
    result = subprocess.run(["/bin/sh", str(TOPDIR / "support/scripts/check-host-deps"), "kconfig"],
                            env=dict(os.environ, PATH=path), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert result.returncode != 0
    advice = re.search(r"install them with: (\S+)", result.stdout)
    assert advice and advice[1].endswith("support/scripts/install-host-deps"), result.stdout


def test_host_check_names_image_tools_and_bootloader_files_with_their_packages(tmp_path):
    """What the bootable images need (syslinux.mk, image-*.mk): tools and
    files, each named with the Debian package to install, and each of
    those packages in install-host-deps' list."""
    path, _ = fake_bin(tmp_path, with_sudo=False)
    wanted = {"mkfs.fat": "dosfstools", "mcopy": "mtools", "sfdisk": "fdisk", "syslinux": "syslinux",
              "xorriso": "xorriso", "/usr/lib/ISOLINUX/not-here.bin": "isolinux",
              "/usr/lib/syslinux/modules/bios/not-here.c32": "syslinux-common"}
    result = subprocess.run(["/bin/sh", str(TOPDIR / "support/scripts/check-host-deps"), "kconfig", *wanted],
                            env=dict(os.environ, PATH=path), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert result.returncode != 0
    installed = INSTALL.read_text().split()
    for tool, package in wanted.items():
        named = tool if tool == package else f"{tool} (Debian package {package})"
        assert named in result.stdout, (named, result.stdout)
        assert package in installed, package
