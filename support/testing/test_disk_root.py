"""The disk defconfig: disk.img with its root filesystem on a second
partition (ext4, then squashfs), booted through a BIOS (SeaBIOS and
syslinux) and under UEFI (OVMF and systemd-boot), with no -kernel; the
kernel mounts the root read-only and starts the C init from it. Its hybrid
ISO, on both firmwares, as a CD and as a disk. The shell on the screen,
typed at on the keyboard. The SSH server on the read-only root. All on the
session's default build switched to qemu_x86_64_disk_defconfig
(disk_defconfig_image): the default kernel has the disks and both root
filesystems already (Kernel → Disks), so the switch compiles only what a
real PC's drivers, the screen and UEFI touch, and switching the root
filesystem's type compiles nothing again."""
import json
import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import TOPDIR, error_lines, images_step_again_elsewhere, put_back_after
from test_bootable_images import PROMPT, boots_to_the_initramfs, exec_through
from test_dropbear import free_port, served_host_key
from test_packages import steps_run
from vm import VM, monitor_commands, screen_text

START = str(TOPDIR / "board/qemu/start.sh")
SYSTEMD_BOOT = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"
ROOT_ARGS = "root=PARTUUID=74696e79-02 rootfstype={} rootwait ro init=/init"


def boot_argv(out, *args, net="none"):
    """start.sh for the disk defconfig's images: its consoles are the serial
    line (here) and the screen (hidden)."""
    return [START, "--output", str(out), "--accel", "tcg", "--net", net, "--display", "none", *args]


def boots_from_the_root_partition(argv, fstype, partition="vda2"):
    """Boots argv to a shell and checks what booted: no initramfs, the root
    partition mounted read-only as /, the C init as PID 1, /run and /tmp
    writable; then a poweroff must end QEMU with 0. Returns the console's
    output, the VM's /proc/mounts and the firmware it booted on (BIOS or
    UEFI)."""
    vm = VM(argv)
    try:
        vm.wait_for_shell(timeout=180, prompt=PROMPT)
        cmdline, _ = vm.run("cat /proc/cmdline")
        assert f"console=tty0 console=ttyS0 {ROOT_ARGS.format(fstype)}" in cmdline and "initrd=" not in cmdline, \
            cmdline
        mounts, _ = vm.run("cat /proc/mounts")
        [root] = [line.split() for line in mounts.splitlines() if line.split()[1] == "/"]
        assert root[:3] == ["/dev/root", "/", fstype] and root[3].split(",")[0] == "ro", mounts
        # /dev/root is the kernel's name for what root= found: the disk's second partition
        assert vm.run("basename $(readlink /sys/dev/block/$(mountpoint -d /))") == (partition, 0)
        assert vm.run("readlink /proc/1/exe") == ("/sbin/tinyinit", 0)
        out, status = vm.run("touch /written")
        assert status != 0 and "Read-only file system" in out, out
        assert vm.run("echo nameserver 10.0.2.3 >/etc/resolv.conf && echo written >/tmp/x && cat /tmp/x")[1] == 0
        assert vm.run("cat /run/resolv.conf") == ("nameserver 10.0.2.3", 0)
        firmware, _ = vm.run("[ -d /sys/firmware/efi ] && echo UEFI || echo BIOS")
        vm.console.sendline("poweroff")
        assert vm.wait_exit() == 0
        return vm.output, mounts, firmware
    finally:
        vm.kill()


def test_ext4_root_boots_through_the_bios(disk_defconfig_image):
    output, _, firmware = boots_from_the_root_partition(boot_argv(disk_defconfig_image.out, "--boot", "disk"), "ext4")
    assert "SYSLINUX 6.04" in output
    assert firmware == "BIOS", "booted through a BIOS, the kernel sees no EFI"


# What typing `uname -s` and Enter on a PC's keyboard sends (QEMU's key
# names); its answer, Linux, is words, which OCR reads better than digits.
UNAME_KEYS = ["u", "n", "a", "m", "e", "spc", "minus", "s", "ret"]


@pytest.mark.skipif(not shutil.which("tesseract"), reason="tesseract-ocr is not installed")
@pytest.mark.parametrize("boot", ["disk", "uefi"])
def test_a_shell_on_the_screen_too(disk_defconfig_image, tmp_path, boot):
    """The screen of a PC (VGA text under the BIOS, the firmware's
    framebuffer under UEFI) has a shell of its own, beside the serial
    line's, that answers what is typed on the keyboard: read off the screen
    by OCR."""
    monitor = tmp_path / "monitor.sock"
    vm = VM(boot_argv(disk_defconfig_image.out, "--boot", boot, "--", "-monitor", f"unix:{monitor},server,nowait"))
    png = tmp_path / f"screen-{boot}.png"
    try:
        vm.wait_for_shell(timeout=180, prompt=PROMPT)
        assert vm.run("cat /sys/class/tty/console/active") == ("tty0 ttyS0", 0)
        # Typed now, read by the screen's shell once it runs (the terminal keeps it).
        monitor_commands(monitor, *(f"sendkey {key}" for key in UNAME_KEYS))
        answered = re.compile(r"^\s*Linux\s*$", re.M)
        for _ in range(10):
            text = screen_text(monitor, png, scale=2)
            if answered.search(text):
                break
        assert answered.search(text), f"no answer on the screen; OCR read:\n{text}"
        # The serial line's shell is the primary: its poweroff ends QEMU, the
        # screen's shell hung up.
        vm.console.sendline("poweroff")
        assert vm.wait_exit() == 0
    finally:
        vm.kill()


@pytest.mark.parametrize("bus, partition", [("ahci", "sda2"), ("nvme", "nvme0n1p2"), ("usb", "sda2")])
def test_root_is_found_on_a_real_pcs_disk_controllers(disk_defconfig_image, bus, partition):
    """The disk defconfig's kernel has a real PC's drivers (generic-pc.fragment):
    disk.img on SATA (AHCI), NVMe and a USB stick (xHCI), as --disk-bus
    attaches it, boots through the BIOS and the kernel mounts its root."""
    argv = boot_argv(disk_defconfig_image.out, "--boot", "disk", "--disk-bus", bus)
    boots_from_the_root_partition(argv, "ext4", partition)


# Dropbear compiled into the switched build, then taken out: make check-slow.
@pytest.mark.slow
def test_ssh_server_makes_its_host_key_on_the_read_only_root(disk_defconfig_image):
    """Dropbear with its host key made at boot: on the read-only ext4 root
    the key goes to /run (/etc/dropbear links there) and the log to /tmp
    (/var/log links there); the server answers on the forwarded port with
    the key whose fingerprint it logged."""
    with put_back_after(disk_defconfig_image, TR_PACKAGE_DROPBEAR="n"):
        disk_defconfig_image.set_config(TR_PACKAGE_DROPBEAR="y")
        disk_defconfig_image.make()
        port = free_port()
        vm = VM(boot_argv(disk_defconfig_image.out, "--boot", "disk", "--forward", f"{port}:22", net="restricted"))
        try:
            vm.wait_for_shell(timeout=180, prompt=PROMPT)
            assert vm.run("readlink /etc/dropbear") == ("../run/dropbear", 0)
            assert vm.run("readlink /var/log") == ("../tmp", 0)
            for _ in range(60):
                log, _ = vm.run("cat /tmp/dropbear.log")
                if made := re.search(r"^Fingerprint: (SHA256:\S+)", log, re.M):
                    break
                time.sleep(0.5)
            assert made, f"no host key made:\n{log}"
            assert made[1] in served_host_key(port), log
            vm.console.sendline("poweroff")
            assert vm.wait_exit() == 0
        finally:
            vm.kill()


def test_ext4_root_boots_under_uefi(disk_defconfig_image):
    """OVMF (its variables copied for the run) and systemd-boot start the
    same kernel with the same command line."""
    argv = boot_argv(disk_defconfig_image.out, "--boot", "uefi")
    qemu = subprocess.run(argv + ["--dry-run"], text=True, check=True, stdout=subprocess.PIPE).stdout.splitlines()
    assert "-kernel" not in qemu and "-bios" not in qemu, qemu
    flash = [a for a in qemu if a.startswith("if=pflash")]
    assert flash[0] == "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd", flash
    assert "/usr/share/OVMF" not in flash[1], "the variables are a copy"
    output, _, firmware = boots_from_the_root_partition(argv, "ext4")
    assert "SYSLINUX" not in output
    assert firmware == "UEFI", "the kernel runs on UEFI"


def test_exec_under_uefi_from_the_ext4_root(disk_defconfig_image):
    """--exec through OVMF and systemd-boot: the C init, started by the
    kernel from the ext4 root, takes the command from QEMU's fw_cfg."""
    lines = exec_through(disk_defconfig_image, "uefi", timeout=180)
    (cmdline,) = [line for line in lines if ROOT_ARGS.format("ext4") in line]
    assert "tinyinit_" not in cmdline, cmdline


@pytest.mark.parametrize("boot, firmware, medium", [
    ("iso", "BIOS", "cdrom"),
    ("uefi-iso", "UEFI", "cdrom"),
    ("disk", "BIOS", "disk"),
    ("uefi", "UEFI", "disk"),
])
def test_iso_boots_on_both_firmwares_as_a_cd_and_as_a_disk(disk_defconfig_image, tmp_path, boot, firmware, medium):
    """The hybrid ISO with an El Torito EFI image: isolinux or systemd-boot
    start the kernel with the initramfs; as a disk (a USB stick), its bytes
    stand in for disk.img."""
    out = disk_defconfig_image.out
    if medium == "disk":
        out = tmp_path / "out"
        shutil.copytree(disk_defconfig_image.out / "images", out / "images")
        shutil.copy(out / "images" / "tinyroot.iso", out / "images" / "disk.img")
    output, cmdline = boots_to_the_initramfs(boot_argv(out, "--boot", boot), firmware)
    assert ("ISOLINUX 6.04" in output) == (firmware == "BIOS")
    # isolinux names the kernel it loaded; systemd-boot does not.
    assert cmdline.startswith("BOOT_IMAGE=") == (firmware == "BIOS"), cmdline


def test_written_ext4_root_is_clean_after_poweroff(disk_defconfig_image, tmp_path):
    """The C init remounts a read-write root read-only before reboot(2):
    what was written is on the disk, and the filesystem needs no recovery.
    (start.sh's own QEMU command, on a copy of disk.img without
    snapshot=on.)"""
    images = disk_defconfig_image.out / "images"
    disk = tmp_path / "disk.img"
    shutil.copy(images / "disk.img", disk)
    qemu = subprocess.run(boot_argv(disk_defconfig_image.out, "--boot", "disk", "--dry-run"), text=True, check=True,
                          stdout=subprocess.PIPE).stdout.splitlines()
    [drive] = [i for i, a in enumerate(qemu) if a.startswith(f"file={images / 'disk.img'},")]
    qemu[drive] = qemu[drive].replace(str(images / "disk.img"), str(disk)).replace(",snapshot=on", "")
    qemu[qemu.index("-D") + 1] = str(tmp_path / "qemu.log")  # (start.sh's was in its own temporary directory)
    vm = VM(qemu)
    try:
        vm.wait_for_shell(timeout=180, prompt=PROMPT)
        assert vm.run("mount -o remount,rw / && echo kept >/written")[1] == 0
        vm.console.sendline("poweroff")
        assert vm.wait_exit() == 0
    finally:
        vm.kill()
    assert "remount read-only" not in vm.output, vm.output[-2000:]
    root = tmp_path / "root.ext4"
    with open(disk, "rb") as image:
        image.seek(17 * 1024 * 1024)
        root.write_bytes(image.read())
    header = subprocess.run(["dumpe2fs", "-h", str(root)], text=True, check=True, capture_output=True).stdout
    assert "needs_recovery" not in header and re.search(r"^Filesystem state:\s+clean$", header, re.M), header
    assert subprocess.run(["e2fsck", "-fn", str(root)], capture_output=True).returncode == 0
    assert subprocess.run(["debugfs", "-R", "cat /written", str(root)], text=True, check=True,
                          capture_output=True).stdout == "kept\n"


def test_disk_layout_and_what_the_bootloaders_read(disk_defconfig_image):
    """MBR: the bootable FAT16 partition (16 MiB from 1 MiB), the root
    partition after it to the end; on the FAT one syslinux, systemd-boot
    and the kernel, no initramfs; both bootloaders pass the same line."""
    disk = disk_defconfig_image.out / "images" / "disk.img"
    assert disk.stat().st_size == 32 * 1024 * 1024
    table = json.loads(subprocess.run(["sfdisk", "--json", str(disk)], text=True, check=True,
                                      stdout=subprocess.PIPE).stdout)["partitiontable"]
    assert table["id"] == "0x74696e79"
    boot, root = table["partitions"]
    assert (boot["start"], boot["size"], boot["type"], boot.get("bootable")) == (2048, 16 * 2048, "e", True)
    assert (root["start"], root["size"], root["type"]) == (17 * 2048, 15 * 2048, "83")
    listing = subprocess.run(["mdir", "-i", f"{disk}@@1M", "-a", "-b", "-/", "::"], text=True, check=True,
                             stdout=subprocess.PIPE).stdout.split()
    assert sorted(f for f in listing if not f.endswith("/")) == [
        "::/EFI/BOOT/BOOTX64.EFI", "::/bzImage", "::/ldlinux.c32", "::/ldlinux.sys",
        "::/loader/entries/tinyroot.conf", "::/loader/loader.conf", "::/syslinux.cfg"], listing

    def read(path):
        return subprocess.run(["mtype", "-i", f"{disk}@@1M", path], text=True, check=True,
                              stdout=subprocess.PIPE).stdout
    [syslinux_line] = re.findall(r"^  APPEND (.*)$", read("::/syslinux.cfg"), re.M)
    [entry_line] = re.findall(r"^options (.*)$", read("::/loader/entries/tinyroot.conf"), re.M)
    assert syslinux_line == entry_line == f"console=tty0 console=ttyS0 {ROOT_ARGS.format('ext4')} quiet"
    # the root partition holds rootfs.ext4, as the images directory has it
    with open(disk, "rb") as image:
        image.seek(17 * 1024 * 1024)
        assert image.read(15 * 1024 * 1024) == (disk_defconfig_image.out / "images" / "rootfs.ext4").read_bytes()


def test_ext4_files_are_roots_whoever_owns_the_target(disk_defconfig_image, tmp_path):
    """mke2fs -d copies owners and change times; mkrootfs-ext4 sets them
    back. The target handed to another user (as an ordinary user's build
    has it: CI runs as root) and the images step done again as another
    builder (umask, locale, timezone), seconds later: the same bytes."""
    images = disk_defconfig_image.out / "images"
    before = {p.name: p.read_bytes() for p in images.iterdir()}
    target = disk_defconfig_image.out / "target"
    if os.geteuid() == 0:
        subprocess.run(["chown", "-hR", "12345:12345", str(target)], check=True)
    try:
        assert steps_run(images_step_again_elsewhere(disk_defconfig_image, tmp_path)) == {("rootfs", "Packing")}
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chown", "-hR", "0:0", str(target)], check=True)
    assert {p.name: p.read_bytes() for p in images.iterdir()} == before
    for directory in ("/", "/bin", "/etc", "/sbin"):
        listing = subprocess.run(["debugfs", "-R", f"ls -l {directory}", str(images / "rootfs.ext4")], text=True,
                                 check=True, capture_output=True).stdout
        owners = set(re.findall(r"^\s*\d+\s+\d+\s+\(\d+\)\s+(\d+)\s+(\d+)\s", listing, re.M))
        assert owners == {("0", "0")}, listing


def test_squashfs_root_boots_with_the_same_kernel(disk_defconfig_image):
    """The kernel's fragments change, so it is configured again, but to the
    same configuration here (the module's build has both filesystems): the
    same bzImage; nothing else is compiled."""
    images = disk_defconfig_image.out / "images"
    kernel = (images / "bzImage").read_bytes()
    with put_back_after(disk_defconfig_image, TR_ROOTFS_SQUASHFS="n", TR_ROOTFS_EXT4="y"):
        disk_defconfig_image.set_config(TR_ROOTFS_EXT4="n", TR_ROOTFS_SQUASHFS="y")
        ran = steps_run(disk_defconfig_image.make().stdout)
        assert ("rootfs", "Packing") in ran and {p for p, step in ran if step == "Building"} <= {"linux"}, ran
        assert (images / "bzImage").read_bytes() == kernel
        assert not (images / "rootfs.ext4").exists()
        squashfs = (images / "rootfs.squashfs").read_bytes()
        assert squashfs.startswith(b"hsqs")
        _, mounts, _ = boots_from_the_root_partition(boot_argv(disk_defconfig_image.out, "--boot", "uefi"), "squashfs")
        assert " /tmp tmpfs " in mounts and " /run tmpfs " in mounts


def test_root_filesystem_that_does_not_fit_names_the_sizes_and_keeps_the_images(disk_defconfig_image):
    images = disk_defconfig_image.out / "images"
    before = sorted(p.name for p in images.iterdir())
    with put_back_after(disk_defconfig_image, TR_IMAGE_DISK_SIZE="32"):
        for size, expected in (("17", "tinyroot: disk.img: 17 MiB leave no room for the root filesystem"),
                               ("18", "tinyroot: rootfs.ext4: mke2fs: ")):
            disk_defconfig_image.set_config(TR_IMAGE_DISK_SIZE=size)
            result = disk_defconfig_image.make(check=False)
            assert result.returncode != 0
            [line] = [text for text in error_lines(result.stdout) if "Packing failed" not in text]
            assert line.startswith(expected) and "TR_IMAGE_DISK_SIZE: now " + size in line, line
            assert sorted(p.name for p in images.iterdir()) == before


def test_manifest_records_systemd_boot_and_its_debian_version(disk_defconfig_image):
    manifest = json.loads((disk_defconfig_image.out / "images" / "manifest.json").read_text())
    [entry] = [f for f in manifest["bootloader"] if f["file"] == SYSTEMD_BOOT]
    digest = subprocess.run(["sha256sum", SYSTEMD_BOOT], text=True, check=True, stdout=subprocess.PIPE).stdout
    version = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "systemd-boot-efi"], text=True, check=True,
                             stdout=subprocess.PIPE).stdout
    assert entry["sha256"] == digest.split()[0] and entry["version"] == version, entry
    assert entry["debian_package"] in ("systemd-boot-efi", "systemd-boot-efi:amd64"), entry
    assert {"mke2fs", "debugfs"} <= {t["name"] for t in manifest["tools"]}


def test_kernel_has_what_the_images_ask(disk_defconfig_image):
    config = (disk_defconfig_image.out / "build" / "linux-6.1-debian" / "src" / ".config").read_text()
    for option in ("BLOCK", "VIRTIO_BLK", "MSDOS_PARTITION", "EXT4_FS", "SQUASHFS", "EFI", "EFI_STUB", "FB_EFI",
                   "FRAMEBUFFER_CONSOLE", "SATA_AHCI", "BLK_DEV_NVME", "USB_XHCI_HCD", "USB_STORAGE", "USB_HID",
                   "VGA_CONSOLE"):
        assert f"\nCONFIG_{option}=y\n" in config, option
