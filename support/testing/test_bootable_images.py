"""Booting like hardware: disk.img and tinyroot.iso, made from the
session's default build (only its images step runs again), booted through
QEMU's BIOS and syslinux with no -kernel; the ISO as a CD-ROM and, hybrid,
as a hard disk; --exec on both through QEMU's fw_cfg; the same bytes from
the images step done again under another umask, locale and timezone; a
floppy too small for the default kernel refused with the sizes. The disk
defconfig's images, under UEFI too and with the root filesystem on the
disk, in test_disk_root.py; the floppy defconfig's own floppy.img boots in
test_boot.py."""
import json
import shutil
import subprocess

import pytest

from conftest import TOPDIR, images_step_again_elsewhere, put_back_after
from test_packages import steps_run
from vm import VM

START = str(TOPDIR / "board/qemu/start.sh")
IMAGES = {"TR_IMAGE_DISK": "y", "TR_IMAGE_ISO": "y"}
NO_IMAGES = {name: "n" for name in IMAGES}


def boot_argv(out, *args):
    return [START, "--output", str(out), "--accel", "tcg", "--net", "none", *args]


@pytest.fixture(scope="module")
def disk_and_iso(default_image):
    """The default build with the disk defconfig's images, put back after."""
    with put_back_after(default_image, **NO_IMAGES):
        default_image.set_config(**IMAGES)
        ran = steps_run(default_image.make().stdout)
        assert ran == {("rootfs", "Packing")}, ran
        yield default_image


# The shell's prompt (the skeleton's /etc/profile), printed before anything
# is typed: what a test waits for where a bootloader reads the console too.
PROMPT = "root@tinyroot:/# "


def boots_to_the_initramfs(argv, firmware):
    """Boots argv to a shell through the firmware (BIOS or UEFI) and checks
    what booted: the bootloader's initramfs, no root= on the disk, the C
    init as PID 1; then a poweroff must end QEMU with 0. The console's
    output and the kernel's command line."""
    vm = VM(argv)
    try:
        vm.wait_for_shell(timeout=180, prompt=PROMPT)
        cmdline, _ = vm.run("cat /proc/cmdline")
        assert "initrd=" in cmdline and "root=" not in cmdline, cmdline
        assert vm.run("[ -d /sys/firmware/efi ] && echo UEFI || echo BIOS") == (firmware, 0)
        assert vm.run("readlink /proc/1/exe") == ("/sbin/tinyinit", 0)
        vm.console.sendline("poweroff")
        assert vm.wait_exit() == 0
        return vm.output, cmdline
    finally:
        vm.kill()


def boots_through_the_bootloader(argv):
    """Boots argv through the BIOS and syslinux; the console's output."""
    output, cmdline = boots_to_the_initramfs(argv, "BIOS")
    # syslinux names the kernel it loaded; QEMU's -kernel does not.
    assert cmdline.startswith("BOOT_IMAGE=/bzImage "), cmdline
    assert "initrd=/rootfs.cpio.lz4" in cmdline, cmdline
    return output


@pytest.mark.parametrize("boot, machine, banner", [
    ("disk", "pc", "SYSLINUX 6.04"),
    ("disk", "q35", "SYSLINUX 6.04"),
    ("iso", "pc", "ISOLINUX 6.04"),
    ("iso", "q35", "ISOLINUX 6.04"),
])
def test_image_boots_through_the_bios_without_kernel(disk_and_iso, boot, machine, banner):
    argv = boot_argv(disk_and_iso.out, "--boot", boot, "--machine", machine)
    qemu = subprocess.run(argv + ["--dry-run"], text=True, check=True, stdout=subprocess.PIPE).stdout.splitlines()
    assert "-kernel" not in qemu and "-bios" not in qemu, qemu
    assert banner in boots_through_the_bootloader(argv)


def test_disk_is_what_the_disk_defconfig_boots_by_default(disk_and_iso):
    assert disk_and_iso.qemu_conf()["QEMU_BOOT"] == "disk"
    qemu = subprocess.run(boot_argv(disk_and_iso.out, "--dry-run"), text=True, check=True,
                          stdout=subprocess.PIPE).stdout.splitlines()
    assert "-kernel" not in qemu and any(a.startswith("file=") and "disk.img" in a for a in qemu), qemu
    # --exec without --boot: the direct kernel path, the fastest.
    result = subprocess.run(boot_argv(disk_and_iso.out, "--exec", "cat /proc/cmdline; exit 3"), text=True,
                            stdout=subprocess.PIPE, timeout=120)
    assert result.returncode == 3 and "BOOT_IMAGE=" not in result.stdout, result.stdout


def exec_through(build, boot, timeout=120):
    """start.sh --boot boot --exec: a command that shows the kernel's command
    line, a line with a comma and what the C init left in its environment,
    then exits 3. Its output's lines."""
    result = subprocess.run(boot_argv(build.out, "--boot", boot, "--exec",
                                      "cat /proc/cmdline; echo 'a, b'; env | grep -c tinyinit_; exit 3"),
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    assert result.returncode == 3, (result.stdout, result.stderr)
    lines = [line.rstrip("\r") for line in result.stdout.splitlines()]
    assert lines[-3:] == ["a, b", "0", "tinyroot: exit status 3"], lines
    return lines


@pytest.mark.parametrize("boot", ["disk", "iso"])
def test_exec_through_the_bios_and_fw_cfg(disk_and_iso, boot):
    """--exec on a firmware path: the bootloader's command line (which has
    none of it), the command from QEMU's fw_cfg, its exit status."""
    lines = exec_through(disk_and_iso, boot)
    (cmdline,) = [line for line in lines if line.startswith("BOOT_IMAGE=/bzImage ")]
    assert "tinyinit_" not in cmdline, cmdline


def test_uefi_refused_on_a_disk_built_without_it(disk_and_iso):
    """The message names the menu entry to turn on."""
    result = subprocess.run(boot_argv(disk_and_iso.out, "--boot", "uefi"), text=True, capture_output=True)
    assert result.returncode != 0
    assert "disk.img has no UEFI bootloader" in result.stderr and "TR_IMAGE_UEFI" in result.stderr, \
        result.stderr


def test_iso_is_hybrid_and_boots_as_a_hard_disk(disk_and_iso, tmp_path):
    """The ISO's own bytes as the hard disk (as on a USB stick)."""
    images = tmp_path / "out" / "images"
    shutil.copytree(disk_and_iso.out / "images", images)
    shutil.copy(images / "tinyroot.iso", images / "disk.img")
    assert "ISOLINUX 6.04" in boots_through_the_bootloader(boot_argv(tmp_path / "out", "--boot", "disk"))


def test_disk_image_layout(disk_and_iso):
    """An MBR with one bootable FAT16 partition from 1 MiB to the end of
    the configured size, with a fixed signature."""
    disk = disk_and_iso.out / "images" / "disk.img"
    assert disk.stat().st_size == 32 * 1024 * 1024
    table = json.loads(subprocess.run(["sfdisk", "--json", str(disk)], text=True, check=True,
                                      stdout=subprocess.PIPE).stdout)["partitiontable"]
    assert table["label"] == "dos" and table["id"] == "0x74696e79"
    [partition] = table["partitions"]
    assert (partition["start"], partition["size"], partition["type"], partition.get("bootable")) \
        == (2048, 32 * 2048 - 2048, "e", True)
    listing = subprocess.run(["mdir", "-i", f"{disk}@@1M", "-a", "-b", "::"], text=True, check=True,
                             stdout=subprocess.PIPE).stdout.split()
    assert sorted(listing) == ["::/bzImage", "::/ldlinux.c32", "::/ldlinux.sys", "::/rootfs.cpio.lz4",
                               "::/syslinux.cfg"]


def test_manifest_names_the_bootloader_files_and_their_debian_version(disk_and_iso):
    manifest = json.loads((disk_and_iso.out / "images" / "manifest.json").read_text())
    files = {f["file"]: f for f in manifest["bootloader"]}
    assert set(files) == {"/usr/lib/syslinux/mbr/mbr.bin", "/usr/lib/syslinux/modules/bios/ldlinux.c32",
                          "/usr/lib/ISOLINUX/isolinux.bin", "/usr/lib/ISOLINUX/isohdpfx.bin"}
    for path, entry in files.items():
        digest = subprocess.run(["sha256sum", path], text=True, check=True, stdout=subprocess.PIPE).stdout.split()[0]
        assert entry["sha256"] == digest
        version = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", entry["debian_package"]], text=True,
                                 check=True, stdout=subprocess.PIPE).stdout
        assert entry["version"] == version and version.startswith("3:6.04"), entry
    tools = {t["name"] for t in manifest["tools"]}
    assert {"sfdisk", "mkfs.fat", "mcopy", "syslinux", "xorriso"} <= tools


def test_images_step_again_elsewhere_makes_the_same_bytes(disk_and_iso, tmp_path):
    """The images step done again under another umask, locale and timezone
    (conftest's another_builders_environment) writes the same disk.img and
    ISO. (Another checkout's whole build, kernel and all, is make
    check-slow's: test_reproducible.py.)"""
    images = disk_and_iso.out / "images"
    before = {p.name: p.read_bytes() for p in images.iterdir()}
    ran = steps_run(images_step_again_elsewhere(disk_and_iso, tmp_path))
    assert ran == {("rootfs", "Packing")}
    assert {p.name: p.read_bytes() for p in images.iterdir()} == before
    assert {"disk.img", "tinyroot.iso"} <= set(before)


def test_floppy_too_small_names_the_sizes_and_keeps_the_images(default_image):
    """The default kernel and initramfs do not fit a floppy: the build stops
    in one line with the sizes, and leaves the images as they were, with no
    stamp that would call the next build done."""
    images = default_image.out / "images"
    before = sorted(p.name for p in images.iterdir())
    try:
        default_image.set_config(TR_IMAGE_FLOPPY="y")
        for _ in range(2):
            result = default_image.make(check=False)
            assert result.returncode != 0
            [line] = [text for text in result.stdout.splitlines() if "floppy.img" in text and "need" in text]
            kernel = (images / "bzImage").stat().st_size
            assert line.startswith("tinyroot: floppy.img: syslinux.cfg (") and f"bzImage ({kernel} bytes)" in line, line
            assert "are free beside the bootloader" in line and "qemu_x86_64_floppy_defconfig" in line, line
            assert sorted(p.name for p in images.iterdir()) == before
    finally:
        default_image.set_config(TR_IMAGE_FLOPPY="n")
        default_image.make()
