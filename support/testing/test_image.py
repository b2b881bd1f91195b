"""The default image: kernel, BusyBox, init and initramfs, booted for real
under QEMU (TCG) with the tutorial's own command line."""
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import IMAGE_DL_DIR, TOPDIR, Build
from test_packages import steps_run
from vm import VM, direct_qemu_command


def boot(kernel_build, initrd_build=None, append="", extra=()):
    images = kernel_build.out / "images"
    cmd = direct_qemu_command(images, append, extra)
    if initrd_build is not None:
        initrd = initrd_build.out / "images" / initrd_build.qemu_conf()["QEMU_INITRD"]
        cmd[cmd.index("-initrd") + 1] = str(initrd)
    return VM(cmd)


# A second NIC, the one the minimal kernel has a driver for (virtio-net).
VIRTIO_NIC = ("-netdev", "user,id=virtio0,restrict=on", "-device", "virtio-net-pci,netdev=virtio0,romfile=")


def boot_and_check(kernel_build, initrd_build=None, init_exe=None, dhcp=False):
    vm = boot(kernel_build, initrd_build, extra=VIRTIO_NIC if dhcp else ())
    try:
        vm.wait_for_shell()
        out, status = vm.run("echo $((6*7)); busybox true")
        assert (out, status) == ("42", 0)
        if init_exe:
            assert vm.run("readlink /proc/1/exe") == (init_exe, 0)
        if dhcp:  # the boot scripts ran: DHCP, in the background
            vm.wait_for_dhcp()
        vm.console.sendline("poweroff -f")
        assert vm.wait_exit() == 0
    finally:
        vm.kill()
    return vm


def test_default_image_boots_to_a_working_shell(default_image):
    conf = default_image.qemu_conf()
    vm = boot(default_image)
    try:
        vm.wait_for_shell()
        assert vm.run("uname -r") == (conf["KERNEL_RELEASE"], 0)
        mounts, _ = vm.run("cat /proc/mounts")
        for fs in ("proc /proc proc", "sysfs /sys sysfs", "devtmpfs /dev devtmpfs"):
            assert fs in mounts
        assert vm.run("echo $((6*7))") == ("42", 0)
        assert vm.run("cat /etc/hostname") == ("tinyroot", 0)
        vm.console.sendline("poweroff")
        assert vm.wait_exit() == 0, "poweroff must end QEMU"
    finally:
        vm.kill()


def test_manifest_lists_every_source(default_image):
    manifest = json.loads((default_image.out / "images" / "manifest.json").read_text())
    by_name = {entry["name"]: entry for entry in manifest["packages"]}
    assert by_name["busybox"]["version"] == "1.35.0"
    assert by_name["busybox"]["sha256"] == \
        "faeeb244c35a348a334f4a59e44626ee870fb07b6884d68c10ae8bc19f83a694"
    assert re.fullmatch(r"[0-9a-f]{64}", by_name["linux"]["sha256"])
    recorded = (IMAGE_DL_DIR / "linux-source-6.1.tar.xz.sha256").read_text().split()[0]
    assert by_name["linux"]["sha256"] == recorded
    assert by_name["linux"]["origin"]
    assert by_name["tinyinit"]["origin"] == "local package/tinyinit/src"


@pytest.mark.parametrize("init", ["TR_INIT_SCRIPT", "TR_INIT_BUSYBOX", "TR_INIT_TINYINIT"])
def test_each_init_boots(default_image, rootfs_build, init):
    rootfs_build.set_config(**{init: "y"})
    rootfs_build.make()
    exe = "/sbin/tinyinit" if init == "TR_INIT_TINYINIT" else "/bin/busybox"
    # The tutorial's script init runs no boot scripts: its network stays down.
    vm = boot_and_check(default_image, rootfs_build, init_exe=exe, dhcp=init != "TR_INIT_SCRIPT")
    # BusyBox init's files (the shells on the other consoles: test_launcher_graphical.py)
    for path in ("/etc/inittab", "/etc/init.d/S01mount", "/sbin/other-console-shells"):
        assert rootfs_build.target(path).exists() == (init == "TR_INIT_BUSYBOX"), path
    if init == "TR_INIT_SCRIPT":
        assert "job control turned off" in vm.output  # the tutorial's, as it was
    else:
        assert "root@tinyroot:/# " in vm.output       # /etc/profile's prompt


@pytest.mark.parametrize("compression,magic", [
    ("NONE", b"070701"), ("GZIP", b"\x1f\x8b"), ("XZ", b"\xfd7zXZ"),
    ("LZ4", b"\x02\x21\x4c\x18"), ("ZSTD", b"\x28\xb5\x2f\xfd"), ("BZIP2", b"BZh"), ("LZMA", b"\x5d")])
def test_each_initramfs_compression_boots(default_image, rootfs_build, compression, magic):
    rootfs_build.set_config(TR_INIT_TINYINIT="y", **{f"TR_ROOTFS_CPIO_{compression}": "y"})
    rootfs_build.make()
    initrd = rootfs_build.out / "images" / rootfs_build.qemu_conf()["QEMU_INITRD"]
    assert initrd.read_bytes().startswith(magic)
    boot_and_check(default_image, rootfs_build)


def test_static_toggle_rebuilds_busybox_only_and_glibc_dynamic_boots(default_image, rootfs_build):
    """glibc, linked dynamically and back: BusyBox alone is built again, the
    image takes the loader and glibc's libraries, and leaves them behind
    when static again."""
    rootfs_build.set_config(TR_TOOLCHAIN_GLIBC="y", TR_STATIC="y", TR_ROOTFS_CPIO_LZ4="y", TR_INIT_TINYINIT="y")
    rootfs_build.make()
    rootfs_build.set_config(TR_STATIC="n")
    ran = steps_run(rootfs_build.make().stdout)
    assert ("busybox", "Building") in ran
    assert not any(p in ("linux", "skeleton") for p, _ in ran)
    assert "dynamically linked" in subprocess.run(
        ["file", str(rootfs_build.target("/bin/busybox"))], text=True, stdout=subprocess.PIPE).stdout
    assert rootfs_build.target("/lib64/ld-linux-x86-64.so.2").exists()
    boot_and_check(default_image, rootfs_build)
    rootfs_build.set_config(TR_STATIC="y")
    rootfs_build.make()
    assert not rootfs_build.target("/lib64/ld-linux-x86-64.so.2").exists(), "stale loader left behind"


# BusyBox compiled once more with musl, static and dynamic: make check-slow.
# (make check builds and boots musl's static userland: the floppy defconfig.)
@pytest.mark.slow
@pytest.mark.parametrize("static", ["y", "n"])
def test_musl_static_and_dynamic(default_image, rootfs_build, static):
    rootfs_build.set_config(TR_ROOTFS_CPIO_LZ4="y", TR_INIT_TINYINIT="y", TR_TOOLCHAIN_MUSL="y", TR_STATIC=static)
    rootfs_build.make()
    busybox = rootfs_build.target("/bin/busybox")
    kind = subprocess.run(["file", "-L", str(busybox)], text=True, check=True,
                          stdout=subprocess.PIPE).stdout
    assert ("statically linked" in kind) == (static == "y"), kind
    assert rootfs_build.target("/lib/ld-musl-x86_64.so.1").exists() == (static == "n")
    boot_and_check(default_image, rootfs_build)
    rootfs_build.set_config(TR_TOOLCHAIN_GLIBC="y", TR_STATIC="y")


def test_noop_make_on_the_default_image(default_image):
    """Nothing changed: no step runs, the kernel least of all (its lists of
    configuration files are long: a comparison of them that never matched
    once reconfigured it on every make)."""
    default_image.make()
    out = default_image.make().stdout
    assert steps_run(out) == set() and "nothing to do" in out, out


def test_compression_switch_only_repacks(default_image):
    default_image.set_config(TR_ROOTFS_CPIO_XZ="y")
    try:
        ran = steps_run(default_image.make().stdout)
        assert ran == {("rootfs", "Packing")}
        assert (default_image.out / "images" / "rootfs.cpio.xz").exists()
        assert not (default_image.out / "images" / "rootfs.cpio.lz4").exists()
    finally:
        default_image.set_config(TR_ROOTFS_CPIO_LZ4="y")
        default_image.make()


def test_build_as_an_ordinary_user(tmp_path):
    """Nothing of the build needs root: the packages' steps, the root
    filesystem's owners and device nodes, the packing. (The userland's
    compilation is the same for any user: left out, it is the C init's.)"""
    user = "trbuild"
    if subprocess.run(["id", user], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--create-home", user], check=True)
    work = Path(tempfile.mkdtemp(prefix="tr-user-"))  # pytest's own tmp is root's alone
    (work / "dl").mkdir()
    subprocess.run(["chown", "-R", user, str(work)], check=True)
    config = work / "out" / ".config"
    script = (f"cd {TOPDIR} && make O={work}/out qemu_x86_64_defconfig"
              f" && sed -i -e 's/^TR_PACKAGE_LINUX=y/# TR_PACKAGE_LINUX is not set/'"
              f" -e 's/^TR_USERLAND_BUSYBOX=y/# TR_USERLAND_BUSYBOX is not set/'"
              f" -e 's/^TR_PACKAGE_BUSYBOX=y/# TR_PACKAGE_BUSYBOX is not set/' {config}"
              f" && echo TR_USERLAND_NONE=y >>{config}"
              f" && TR_DL_DIR={work}/dl make O={work}/out")
    result = subprocess.run(["runuser", "-u", user, "--", "sh", "-c", script], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert result.returncode == 0, result.stdout
    initramfs = work / "out" / "images" / "rootfs.cpio.lz4"
    assert initramfs.stat().st_uid != 0
    data = subprocess.run(["lz4", "-dc", str(initramfs)], check=True, stdout=subprocess.PIPE).stdout
    listing = subprocess.run(["cpio", "-tv", "--quiet", "--numeric-uid-gid"], input=data, check=True,
                             stdout=subprocess.PIPE).stdout.decode().splitlines()
    assert any(line.endswith(" sbin/tinyinit") for line in listing), listing
    assert {tuple(line.split()[2:4]) for line in listing} == {("0", "0")}, listing
    shutil.rmtree(work)


def test_custom_kernel_config_without_initramfs_is_refused_early(tmp_path, default_image):
    config = tmp_path / "kernel.config"
    text = (default_image.out / "build" / "linux-6.1-debian" / "src" / ".config").read_text()
    config.write_text(text.replace("CONFIG_BLK_DEV_INITRD=y", "# CONFIG_BLK_DEV_INITRD is not set"))
    b = Build(tmp_path / "out", IMAGE_DL_DIR)
    b.make("qemu_x86_64_defconfig")
    b.set_config(TR_PACKAGE_LINUX_CONFIG_CUSTOM="y", TR_PACKAGE_LINUX_CUSTOM_CONFIG_FILE=f'"{config}"',
                 TR_USERLAND_NONE="y", TR_PACKAGE_BUSYBOX="n")
    result = b.make("linux", check=False)
    assert result.returncode != 0
    assert "CONFIG_BLK_DEV_INITRD=y" in result.stdout and "did not stick" in result.stdout
    assert not (b.package_dir("linux", "6.1-debian") / "build.log").exists(), "must stop before building"


def test_busybox_version_without_hash_is_refused(tmp_path):
    b = Build(tmp_path / "out", IMAGE_DL_DIR)
    b.make("qemu_x86_64_defconfig")
    b.set_config(TR_PACKAGE_BUSYBOX_CUSTOM="y", TR_PACKAGE_BUSYBOX_CUSTOM_VERSION='"1.99.9"',
                 TR_PACKAGE_LINUX="n")
    result = b.make(check=False)
    assert result.returncode != 0
    line = next(l for l in result.stdout.splitlines() if "no sha256" in l)
    assert "busybox-1.99.9.tar.bz2" in line and "busybox.hash" in line


def test_linux_update_config_refuses_a_derived_configuration(default_image):
    result = default_image.make("linux-update-config", check=False)
    assert result.returncode != 0
    assert "custom config file" in result.stdout and "fragment" in result.stdout
