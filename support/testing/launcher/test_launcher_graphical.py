"""The console on QEMU's VGA screen: the prompt read off the screen
through start.sh and make graphical, and the consoles the kernel makes
active, with inits made here. Every test of this module takes the session's
default build switched to the disk defconfig, whose console is on the
screen too (disk_defconfig_image): only the kernel's files that its options
touch are compiled again, not a second kernel from scratch, and once for
this module and test_disk_root.py's."""
import os
import shutil
import subprocess
import time

import pytest

from conftest import IMAGE_DL_DIR, TOPDIR
from test_launcher import (CONSOLES_INIT, GRAPHICAL_KERNEL_OPTIONS, INIT_START, REQUIRED_KERNEL_OPTIONS, START,
                           boot, built_parts, vm_maker)
from vm import VM, screen_text

NO_NET = ["--net", "none"]


@pytest.fixture(scope="module")
def graphical_parts(tmp_path_factory, disk_defconfig_image):
    return built_parts(disk_defconfig_image, tmp_path_factory.mktemp("boot-graphical"),
                       REQUIRED_KERNEL_OPTIONS + GRAPHICAL_KERNEL_OPTIONS)


@pytest.fixture
def graphical_vm(tmp_path, graphical_parts):
    return vm_maker(tmp_path, graphical_parts)


def test_graphical_console(graphical_vm, tmp_path):
    # The serial port goes to a file (QEMU's default for it would be the
    # window): the kernel console is on tty0 alone.
    out = graphical_vm(CONSOLES_INIT)
    serial = tmp_path / "serial.txt"
    status, stdout, stderr, _ = boot(out, "--graphical", "--display", "none",
                                     "--", "-serial", f"file:{serial}")
    assert status == 0, stderr
    assert stdout == "" and stderr == ""
    assert b"active: tty0\r\n" in serial.read_bytes()


def test_both_consoles(graphical_vm):
    out = graphical_vm(CONSOLES_INIT, QEMU_CONSOLE="both")
    status, stdout, stderr, _ = boot(out, "--display", "none")
    assert status == 0, stderr
    assert "active: tty0 ttyS0\n" in stdout      # ttyS0 last: primary
    assert "tinytest-booted\n" in stdout        # /dev/console is the serial one


def busybox_init_of_the_skeleton():
    """An init that puts the skeleton's files for BusyBox init (its inittab,
    the mounts, the shells on the other consoles) where the image has them,
    then hands over to BusyBox init."""
    skeleton = TOPDIR / "package" / "skeleton"
    files = {"/etc/inittab": skeleton / "inittab", "/etc/init.d/rcS": skeleton / "files/etc/init.d/rcS",
             "/etc/init.d/S01mount": skeleton / "S01mount",
             "/sbin/other-console-shells": skeleton / "other-console-shells"}
    script = INIT_START + "mkdir -p /etc/init.d /sbin /run\n"
    for path, source in files.items():
        script += f"cat >{path} <<'END-OF-FILE'\n{source.read_text()}END-OF-FILE\nchmod 755 {path}\n"
    return script + "exec /bin/busybox init\n"


def test_busybox_init_keeps_a_shell_on_each_console(graphical_vm):
    """System → Console: both with BusyBox init: inittab's shell on the
    primary console (the serial one, here), and other-console-shells' on the
    screen, a login shell with tty0 as its controlling terminal."""
    out = graphical_vm(busybox_init_of_the_skeleton(), QEMU_CONSOLE="both")
    vm = VM([str(START), "--output", str(out), "--accel", "tcg", *NO_NET, "--display", "none"])
    try:
        vm.wait_for_shell()
        assert vm.run("readlink /proc/1/exe") == ("/bin/busybox", 0)
        # each shell's terminal, and the device number of its controlling one
        # (the processes listed first: the loop's own subshells are shells too)
        shells, _ = vm.run("for i in $(seq 50); do grep -l '^sh$' /proc/[0-9]*/comm >/tmp/p; "
                           "for c in $(cat /tmp/p); do p=${c%/comm}; "
                           "echo $(readlink $p/fd/0) $(cut -d' ' -f7 $p/stat); done >/tmp/s; "
                           "grep -q tty0 /tmp/s && break; sleep 0.1; done; sort /tmp/s")
        # inittab's (cttyhack reopens its terminal as /dev/tty: ttyS0, 4:64)
        # and other-console-shells' (tty0, which is tty1, 4:1)
        assert shells.splitlines() == ["/dev/tty 1088", "/dev/tty0 1025"], shells
        vm.console.sendline("poweroff")
        assert vm.wait_exit() == 0
    finally:
        vm.kill()


@pytest.mark.skipif(not shutil.which("tesseract"), reason="tesseract-ocr is not installed")
@pytest.mark.parametrize("how", ["start.sh", "make graphical"])
def test_graphical_console_shows_the_prompt(disk_defconfig_image, tmp_path, how):
    """The kernel started directly (the build's disk image would be the
    default), with its console on the screen alone, as make graphical
    starts it."""
    monitor = tmp_path / "monitor.sock"
    qemu_args = f"-monitor unix:{monitor},server,nowait"
    if how == "start.sh":
        argv = [str(START), "--output", str(disk_defconfig_image.out), "--graphical", "--boot", "kernel",
                "--accel", "tcg", *NO_NET, "--display", "none", "--", *qemu_args.split()]
    else:
        argv = ["make", "-C", str(TOPDIR), f"O={disk_defconfig_image.out}", "graphical",
                "RUN_ARGS=--boot kernel --display none --accel tcg --net none", f"QEMU_ARGS={qemu_args}"]
    env = dict(os.environ, TR_DL_DIR=str(IMAGE_DL_DIR))
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    artefacts = tmp_path / "test-artefacts"
    artefacts.mkdir()
    png = artefacts / f"graphical-{how.replace(' ', '-')}.png"
    try:
        text = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(2)
            if monitor.exists():
                text = screen_text(monitor, png)
                if "tinyroot:/" in text:
                    break
        # The prompt, root@tinyroot:/#, with the hostname; OCR reads "#" poorly.
        assert "tinyroot:/" in text, f"no prompt on the screen; OCR read:\n{text}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
