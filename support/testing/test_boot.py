"""The whole promise, through board/qemu/start.sh itself: the default image,
--exec, a panic, make run, make graphical refused without a screen, and the
tutorial's recipe (slow). The graphical console read off the screen is in
launcher/test_launcher_graphical.py."""
import os
import re
import subprocess
import time

import pytest

from conftest import IMAGE_DL_DIR, TOPDIR, Build, images_step_again_elsewhere, put_back_after
from test_bootable_images import exec_through
from test_packages import steps_run
from vm import VM

START = str(TOPDIR / "board/qemu/start.sh")
# Every boot: no network device, so that nothing leaves the machine.
NO_NET = ["--net", "none"]


def start(build, *args):
    return VM([START, "--output", str(build.out), "--accel", "tcg", *NO_NET, *args])


def run_exec(build, command, *args, timeout=120):
    """start.sh --exec command, then args (QEMU's own after --)."""
    return subprocess.run([START, "--output", str(build.out), "--accel", "tcg", *NO_NET, "--exec", command, *args],
                          text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


def test_default_boot_through_start_sh(default_image):
    # The uncompressed kernel, started at its PVH entry (QEMU boots an ELF
    # kernel only through it); bzImage is there for bootloaders.
    assert default_image.qemu_conf()["QEMU_KERNEL"] == "vmlinux"
    assert (default_image.out / "images/bzImage").is_file()
    vm = start(default_image)
    try:
        vm.wait_for_shell()
        release = re.search(r"^KERNEL_RELEASE=(.*)$",
                            (default_image.out / "images/qemu.conf").read_text(), re.M)[1]
        assert vm.run("uname -r") == (release, 0)
        mounts, _ = vm.run("cat /proc/mounts")
        for fs in (" /proc proc ", " /sys sysfs ", " /dev devtmpfs "):
            assert fs in mounts
        assert vm.run("echo $((6*7))") == ("42", 0)
        missing, status = vm.run(
            # (linuxrc, the init of an initrd, is linked at the root)
            'for a in $(busybox --list); do command -v "$a" >/dev/null || [ -e "/$a" ] || echo "missing $a"; done')
        assert (missing, status) == ("", 0)
        assert "job control turned off" not in vm.output
        vm.console.sendline("sleep 100")
        time.sleep(1)
        vm.console.sendcontrol("c")
        assert vm.run("echo after", timeout=10) == ("after", 0), "Ctrl-C did not interrupt sleep"
        vm.console.sendline("poweroff")
        assert vm.wait_exit() == 0
    finally:
        vm.kill()


def elf_section_memory(vmlinux, name):
    """(physical address, file offset, size) of an ELF section: its address
    moved into the physical addresses of the segment that holds it, where
    QEMU loads it for the PVH entry."""
    sections = subprocess.run(["readelf", "-SW", str(vmlinux)], text=True, check=True,
                              stdout=subprocess.PIPE).stdout
    fields = re.search(rf"\]\s+{re.escape(name)}\s+\S+\s+([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+)", sections)
    address, offset, size = (int(f, 16) for f in fields.groups())
    segments = subprocess.run(["readelf", "-lW", str(vmlinux)], text=True, check=True,
                              stdout=subprocess.PIPE).stdout
    for virtual, physical, memsize in re.findall(
            r"^\s+LOAD\s+\S+ 0x([0-9a-f]+) 0x([0-9a-f]+) \S+ 0x([0-9a-f]+)", segments, re.M):
        virtual, physical, memsize = int(virtual, 16), int(physical, 16), int(memsize, 16)
        if virtual <= address < virtual + memsize:
            return physical + address - virtual, offset, size
    raise AssertionError(f"{name} is in no LOAD segment of {vmlinux}:\n{segments}")


def test_freed_init_code_is_not_poisoned(default_image, tmp_path):
    """The minimal kernel frees its init code without filling it with 0xcc
    first (package/linux/6.1-debian's patch, set off in linux.fragment:
    the fill costs a quarter second under TCG). After boot, the pages that
    nothing has reused still hold the code that vmlinux has there, and no
    page is all poison; the guest's memory comes from QEMU's monitor."""
    vmlinux = default_image.out / "images/vmlinux"
    physical, offset, size = elf_section_memory(vmlinux, ".init.text")
    with open(vmlinux, "rb") as f:
        f.seek(offset)
        code = f.read(size)
    dump = tmp_path / "init-text.bin"
    vm = start(default_image)
    try:
        vm.wait_for_shell()
        vm.console.sendcontrol("a")
        vm.console.send("c")
        vm.console.expect_exact("(qemu) ")
        # (quoted: unquoted, the monitor reads "/" as a division of the size)
        vm.console.sendline(f'pmemsave {physical:#x} {size} "{dump}"')
        vm.console.expect_exact("(qemu) ")
        vm.console.sendline("quit")
        vm.wait_exit()
    finally:
        vm.kill()
    memory = dump.read_bytes()
    assert len(memory) == size
    page_size = 4096
    pages = range(0, size - page_size + 1, page_size)
    intact = sum(memory[p:p + page_size] == code[p:p + page_size] for p in pages)
    poisoned = sum(memory[p:p + page_size] == b"\xcc" * page_size for p in pages)
    assert poisoned == 0 and intact > 0, f"{len(pages)} pages: {intact} intact, {poisoned} poisoned"


def test_exit_in_the_shell_powers_off(default_image):
    vm = start(default_image)
    try:
        vm.wait_for_shell()
        vm.console.sendline("exit")
        assert vm.wait_exit() == 0
    finally:
        vm.kill()


def test_exec_returns_the_exit_status(default_image):
    assert run_exec(default_image, "exit 3").returncode == 3
    assert run_exec(default_image, "true").returncode == 0


def test_exec_streams_output(default_image):
    result = run_exec(default_image, "uname -r")
    release = re.search(r"^KERNEL_RELEASE=(.*)$",
                        (default_image.out / "images/qemu.conf").read_text(), re.M)[1]
    assert result.returncode == 0
    assert release in result.stdout


def test_exec_runs_the_command_verbatim(default_image):
    command = """printf '%s|' "a  b" 'it'"'"'s' "$((2+3))" '$HOME'; echo"""
    result = run_exec(default_image, command)
    assert result.returncode == 0
    assert "a  b|it's|5|$HOME|" in result.stdout


def test_default_kernel_reads_a_disk_given_to_qemu(default_image, tmp_path):
    """Kernel → Disks, on by default: an ext4 filesystem made on the host
    and given to QEMU after start.sh's -- is the guest's virtio disk
    /dev/vda, and mounts."""
    files = tmp_path / "files"
    files.mkdir()
    (files / "hello").write_text("from the host\n")
    disk = tmp_path / "data.img"
    subprocess.run(["mke2fs", "-q", "-t", "ext4", "-d", str(files), str(disk), "8M"], check=True)
    result = run_exec(default_image, "mkdir /tmp/d && mount -r -t ext4 /dev/vda /tmp/d && cat /tmp/d/hello",
                      "--", "-drive", f"file={disk},format=raw,if=virtio,readonly=on")
    assert result.returncode == 0 and "from the host" in result.stdout.splitlines(), result.stdout + result.stderr


def test_kernel_panic_ends_start_sh_with_failure(default_image):
    begin = time.monotonic()
    result = subprocess.run([START, "--output", str(default_image.out), "--accel", "tcg", *NO_NET,
                             "--append", "rdinit=/nonexistent init=/nonexistent"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert time.monotonic() - begin < 30
    assert "panic" in result.stderr


def test_make_run_reaches_the_shell(default_image):
    env = dict(os.environ, TR_DL_DIR=str(IMAGE_DL_DIR))
    vm = VM(["make", "-C", str(TOPDIR), f"O={default_image.out}", "run", "RUN_ARGS=--accel tcg --net none"],
            env=env)
    try:
        vm.wait_for_shell()
        vm.console.sendline("poweroff")
        assert vm.wait_exit() == 0
    finally:
        vm.kill()


def test_make_graphical_without_vt_console_says_so(default_image):
    result = default_image.make("graphical", "RUN_ARGS=--display none --accel tcg --net none", check=False)
    assert result.returncode != 0
    line = next(l for l in result.stdout.splitlines() if "VT" in l or "VGA" in l)
    assert "TR_CONSOLE_GRAPHICAL" in line or "Console" in line


@pytest.mark.slow
def test_tutorial_offline_recipe_builds_and_boots(tmp_path):
    b = Build(tmp_path / "out", IMAGE_DL_DIR)
    b.make("qemu_x86_64_tutorial_offline_defconfig")
    b.make()
    vm = start(b)
    try:
        vm.wait_for_shell(timeout=120)
        assert vm.run("echo $((6*7))") == ("42", 0)
        vm.console.sendline("poweroff -f")
        assert vm.wait_exit() == 0
    finally:
        vm.kill()
    # Its kernel has pvpanic too: a panic is told from a poweroff.
    result = subprocess.run([START, "--output", str(b.out), "--accel", "tcg", *NO_NET,
                             "--append", "rdinit=/nonexistent init=/nonexistent"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, timeout=60)
    assert result.returncode != 0 and "panic" in result.stderr


FLOPPY_BYTES = 1_474_560


@pytest.fixture(scope="session")
def floppy_image(background_builds):
    """qemu_x86_64_floppy_defconfig, a kernel of its own, built once per
    session in the background."""
    return background_builds.result("floppy")


def test_floppy_image_fits_and_boots(floppy_image, tmp_path):
    """floppy.img: exactly a 1.44 MB floppy, booted as drive A: through the
    BIOS and syslinux (what start.sh boots by default for this defconfig);
    its images step done again at another time, umask and timezone makes
    the same bytes."""
    b = floppy_image
    floppy = b.out / "images" / "floppy.img"
    assert floppy.stat().st_size == FLOPPY_BYTES
    assert b.qemu_conf()["QEMU_BOOT"] == "floppy"
    # Kernel → Disks off (the defconfig): no block layer to take room
    kernel_config = (b.out / "build" / "linux-6.1-debian" / "src" / ".config").read_text()
    assert "\n# CONFIG_BLOCK is not set\n" in kernel_config
    vm = start(b)
    try:
        vm.wait_for_shell(timeout=180)
        assert "SYSLINUX 6.04" in vm.output
        cmdline, _ = vm.run("cat /proc/cmdline")
        assert cmdline.startswith("BOOT_IMAGE=/bzImage ") and "initrd=/rootfs.cpio.xz" in cmdline, cmdline
        for applet in ("sh", "ls", "cat", "cp", "mv", "rm", "mkdir", "mount", "vi", "poweroff"):
            assert vm.run(f"command -v {applet}")[1] == 0, applet
        assert vm.run("mkdir /tmp/d && echo hi >/tmp/d/f && cp /tmp/d/f /tmp/d/g && cat /tmp/d/g") \
            == ("hi", 0)
        vm.console.sendline("poweroff")
        assert vm.wait_exit() == 0
    finally:
        vm.kill()
    first = floppy.read_bytes()
    assert steps_run(images_step_again_elsewhere(b, tmp_path)) == {("rootfs", "Packing")}
    assert floppy.read_bytes() == first


def test_exec_from_the_floppy(floppy_image):
    """--exec from floppy.img: the floppy's kernel shows QEMU's fw_cfg files
    too, and the C init takes the command from there."""
    lines = exec_through(floppy_image, "floppy", timeout=180)
    assert [line for line in lines if line.startswith("BOOT_IMAGE=/bzImage ")], lines


# The default kernel configured and relinked twice (on, then off again):
# about four minutes of make check's time, so make check-slow.
@pytest.mark.slow
def test_initramfs_built_into_the_kernel(default_image, tmp_path):
    """One file to boot: the root filesystem inside the kernel, /dev/console
    from the kernel's gen_init_cpio list; a change of the root filesystem
    (here an overlay) repacks it without rebuilding any package. Switched on
    and back off in the session's default build: no package but the kernel
    rebuilds, and the images afterwards are the ones from before."""
    overlay = tmp_path / "overlay"
    (overlay / "etc").mkdir(parents=True)
    (overlay / "etc" / "motd").write_text("from the overlay\n")
    b = default_image
    with put_back_after(b, TR_ROOTFS_INITRAMFS_IN_KERNEL="n", TR_ROOTFS_OVERLAY='""'):
        b.set_config(TR_ROOTFS_INITRAMFS_IN_KERNEL="y")
        ran = steps_run(b.make().stdout)
        assert {package for package, _ in ran} == {"linux", "rootfs"}, ran
        images = b.out / "images"
        assert not list(images.glob("rootfs.cpio*"))
        argv = subprocess.run([START, "--output", str(b.out), "--accel", "tcg", *NO_NET, "--dry-run"],
                              text=True, check=True, stdout=subprocess.PIPE).stdout.splitlines()
        assert "-kernel" in argv and "-initrd" not in argv
        b.set_config(TR_ROOTFS_OVERLAY=f'"{overlay}"')
        ran = steps_run(b.make().stdout)
        assert ran == {("rootfs", "Assembling"), ("rootfs", "Packing")}, ran
        vm = start(b)
        try:
            vm.wait_for_shell()
            assert vm.run("cat /etc/motd") == ("from the overlay", 0)
            # The kernel opened the archive's /dev/console for init's stdio.
            log, _ = vm.run("dmesg")
            assert "Run /init as init process" in log and "initial console" not in log, log
            assert vm.run("readlink /proc/1/exe") == ("/sbin/tinyinit", 0)
            vm.console.sendline("poweroff")
            assert vm.wait_exit() == 0
        finally:
            vm.kill()
