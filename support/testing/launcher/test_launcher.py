"""board/qemu/start.sh, the launcher, on its own (no tinyroot build).

The fast tests use a fake images directory (empty kernel and initramfs files
and a qemu.conf written here) and --dry-run, which prints the QEMU command
line one argument per line. The boot tests take the kernel and the static
BusyBox of the suite's default build (test_launcher_graphical.py: switched to
the graphical console), with small shell-script inits made here for each
case.

Run: /usr/bin/python3 -m pytest support/testing/launcher
"""
import gzip
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

TOPDIR = Path(__file__).resolve().parents[3]
START = TOPDIR / "board" / "qemu" / "start.sh"
QEMU = "qemu-system-x86_64"

DEFAULT_CONF = {
    "QEMU_KERNEL": "bzImage",
    "QEMU_INITRD": "rootfs.cpio.gz",
    "QEMU_CONSOLE": "serial",
    "QEMU_MACHINE": "pc",
    "QEMU_MEMORY": "256",
    "QEMU_CPUS": "1",
    "QEMU_APPEND": "quiet",
    "QEMU_GRAPHICAL_CAPABLE": "y",
    "QEMU_POWEROFF": "acpi",
    "QEMU_NET": "user",
    "QEMU_FORWARDS": "",
    "QEMU_NET_CAPABLE": "y",
    "QEMU_SHARE_CAPABLE": "y",
}


def shell_quote(value):
    return "'" + value.replace("'", "'\\''") + "'"


def write_images(out, kernel=b"", initrd=b"", **conf):
    """out/images with a kernel, an initramfs and qemu.conf; returns out.
    A setting given as None is left out of qemu.conf."""
    images = Path(out) / "images"
    images.mkdir(parents=True, exist_ok=True)
    settings = dict(DEFAULT_CONF, **conf)
    (images / settings["QEMU_KERNEL"]).write_bytes(kernel)
    if settings["QEMU_INITRD"]:
        (images / settings["QEMU_INITRD"]).write_bytes(initrd)
    (images / "qemu.conf").write_text(
        "".join(f"{name}={shell_quote(value)}\n" for name, value in settings.items()
                if value is not None))
    return Path(out)


def base_env(**changes):
    env = dict(os.environ)
    for name in ("O", "DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(name, None)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(*args, env=None, timeout=60, script=START, cwd=None):
    return subprocess.run([str(script), *map(str, args)], env=env or base_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, cwd=cwd, errors="replace", text=True)


def error_line(result):
    """The single line start.sh writes on stderr for an error."""
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("start.sh: ")
    return lines[0]


@pytest.fixture
def out(tmp_path):
    return write_images(tmp_path / "out")


def dry_run(out, *args, env=None):
    """The QEMU command line start.sh would run, as a list."""
    result = run("--output", out, "--dry-run", "--accel", "tcg", *args, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout.splitlines()


def option(argv, name):
    """The values that follow every occurrence of option `name`."""
    return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == name]


def cmdline(argv):
    (append,) = option(argv, "-append")
    return append


# --- help and usage errors -----------------------------------------------------

def test_help_lists_every_option():
    result = run("--help")
    assert result.returncode == 0
    assert result.stderr == ""
    for opt in ("--output", "--serial", "--graphical", "--both", "--display", "--accel",
                "--machine", "--mem", "--cpus", "--append", "--exec", "--dry-run", "--help",
                "--", "vnc=127.0.0.1", "kvm", "tcg", "auto", "microvm", "q35",
                "--net", "user", "restricted", "none", "--forward", "--guestfwd", "--share",
                "10.0.2.2", "10.0.2.100", "/mnt/host", "QEMU_NET", "QEMU_FORWARDS"):
        assert opt in result.stdout, opt


@pytest.mark.parametrize("args", [["--bogus"], ["--mem", "lots"], ["--machine", "virt"],
                                  ["--accel", "hvf"], ["--display", "curses"], ["--cpus"],
                                  ["--exec", ""], ["--net", "bridge"], ["--net"],
                                  ["--forward", "2222"], ["--forward", "0:22"],
                                  ["--forward", "65536:22"], ["--forward", "022:22"],
                                  ["--forward", "sctp:2222:22"], ["--forward", "2222:22:1"],
                                  ["--forward", "ssh:22"], ["--forward", ":22"],
                                  ["--forward", "99999999999999999999:22"],
                                  ["--guestfwd", "8080"], ["--guestfwd", "8080:0"],
                                  ["--guestfwd", "tcp:8080:80"], ["--share", ""]])
def test_usage_errors_are_one_line(out, args):
    result = run("--output", out, *args)
    assert result.returncode == 2
    line = error_line(result)
    assert "--help" in line


def test_unknown_option_is_named(out):
    assert "unknown option: --frobnicate" in error_line(run("--output", out, "--frobnicate"))


# --- environment errors --------------------------------------------------------

def test_qemu_not_installed(tmp_path, out):
    # Every command of the host, but QEMU.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for directory in ("/usr/local/bin", "/usr/bin", "/bin"):
        if not os.path.isdir(directory):
            continue
        for name in os.listdir(directory):
            if not name.startswith("qemu-system") and not (bindir / name).exists():
                (bindir / name).symlink_to(os.path.join(directory, name))
    result = run("--output", out, "--dry-run", env=base_env(PATH=str(bindir)))
    line = error_line(result)
    assert "qemu-system-x86_64" in line
    assert "qemu-system-x86" in line.replace("qemu-system-x86_64", "")
    assert "support/scripts/install-host-deps" in line


def test_no_images_names_the_directory(tmp_path):
    missing = tmp_path / "nothing"
    line = error_line(run("--output", missing))
    assert str(missing / "images") in line and f"make O={missing}" in line


def test_no_images_with_O(tmp_path):
    missing = tmp_path / "nothing"
    line = error_line(run(env=base_env(O=str(missing))))
    assert str(missing / "images") in line and f"make O={missing}" in line


def test_images_dir_without_qemu_conf(tmp_path):
    (tmp_path / "out" / "images").mkdir(parents=True)
    line = error_line(run("--output", tmp_path / "out"))
    assert str(tmp_path / "out" / "images") in line and "make" in line


def test_missing_kernel(out):
    (out / "images" / "bzImage").unlink()
    line = error_line(run("--output", out, "--dry-run", "--accel", "tcg"))
    assert str(out / "images" / "bzImage") in line and "make" in line


def fake_tree(tmp_path):
    """A copy of start.sh (and the parts it sources) at board/qemu/ of an
    empty tree."""
    tree = tmp_path / "tree"
    (tree / "board" / "qemu").mkdir(parents=True)
    shutil.copy2(START, tree / "board" / "qemu" / "start.sh")
    shutil.copytree(START.parent / "launcher", tree / "board" / "qemu" / "launcher")
    return tree


def test_default_images_dir_is_in_the_tree_not_the_cwd(tmp_path):
    tree = fake_tree(tmp_path)
    script = tree / "board" / "qemu" / "start.sh"
    elsewhere = tmp_path / "elsewhere"
    write_images(elsewhere / "output")
    line = error_line(run(script=script, cwd=elsewhere))
    assert str(tree / "output" / "images") in line and "'make'" in line
    write_images(tree / "output")
    result = run("--dry-run", "--accel", "tcg", script=script, cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert str(tree / "output" / "images" / "bzImage") in result.stdout.splitlines()


def test_output_option_wins_over_O(tmp_path, out):
    argv = dry_run(out, env=base_env(O=str(tmp_path / "nothing")))
    assert option(argv, "-kernel") == [str(out / "images" / "bzImage")]


def test_O_selects_the_images(out):
    result = run("--dry-run", "--accel", "tcg", env=base_env(O=str(out)))
    assert result.returncode == 0, result.stderr
    assert option(result.stdout.splitlines(), "-kernel") == [str(out / "images" / "bzImage")]


@pytest.mark.parametrize("how", [["--graphical"], ["--both"], []])
def test_graphical_without_display(tmp_path, how):
    out = write_images(tmp_path / "out", QEMU_CONSOLE="serial" if how else "graphical")
    line = error_line(run("--output", out, "--accel", "tcg", *how))
    assert "DISPLAY" in line and "--display vnc=127.0.0.1:0" in line and "--serial" in line


def test_graphical_incapable_kernel(tmp_path):
    out = write_images(tmp_path / "out", QEMU_GRAPHICAL_CAPABLE="n")
    for mode in ("--graphical", "--both"):
        line = error_line(run("--output", out, "--accel", "tcg", mode, "--display", "none"))
        assert "no VT/VGA console" in line
        assert "System → Console: graphical" in line
    # The serial console does not care.
    assert contains(dry_run(out), SERIAL_HERE)


def test_graphical_on_microvm_is_refused(out):
    line = error_line(run("--output", out, "--accel", "tcg", "--machine", "microvm",
                          "--graphical", "--display", "none"))
    assert "microvm" in line


def test_bad_qemu_conf_value(tmp_path):
    out = write_images(tmp_path / "out", QEMU_MACHINE="virt")
    assert "QEMU_MACHINE" in error_line(run("--output", out, "--dry-run", "--accel", "tcg"))


# --- the QEMU command line -----------------------------------------------------

ALWAYS = [["-no-reboot"], ["-device", "pvpanic"], ["-action", "panic=exit-failure"], ["-nodefaults"]]
# The serial console in this terminal (-nodefaults drops the serial port that
# -nographic would use).
SERIAL_HERE = ["-display", "none", "-serial", "mon:stdio"]
QBOOT = "/usr/share/qemu/qboot.rom"  # Debian's qemu-system-data


def contains(argv, seq):
    return any(argv[i:i + len(seq)] == seq for i in range(len(argv)))


@pytest.mark.parametrize("args", [[], ["--graphical", "--display", "none"], ["--both", "--display", "none"],
                                  ["--machine", "q35"], ["--machine", "microvm"],
                                  ["--exec", "true"], ["--accel", "kvm"]])
def test_panic_and_poweroff_flags_always_present(out, args):
    argv = dry_run(out, *args)
    for seq in ALWAYS:
        assert contains(argv, seq), seq
    assert {"panic=-1", "no_timer_check"} <= set(cmdline(argv).split())
    assert argv[0] == QEMU


def test_serial_console(out):
    argv = dry_run(out)
    assert contains(argv, SERIAL_HERE) and "-vga" not in argv
    # no screen: qboot instead of SeaBIOS, faster to the kernel
    assert option(argv, "-bios") == [QBOOT]
    assert cmdline(argv).split()[0] == "console=ttyS0"
    assert option(argv, "-kernel") == [str(out / "images" / "bzImage")]
    assert option(argv, "-initrd") == [str(out / "images" / "rootfs.cpio.gz")]
    assert option(argv, "-m") == ["256"] and option(argv, "-smp") == ["1"]
    assert option(argv, "-M") == ["pc"] and option(argv, "-accel") == ["tcg"]
    assert "quiet" in cmdline(argv).split()


@pytest.mark.parametrize("msi,expected", [("y", True), ("n", False), (None, False)])
def test_pci_noacpi_only_with_msi(tmp_path, msi, expected):
    """With MSI the virtio devices need no ACPI interrupt links, and
    pci=noacpi skips evaluating them; without it they need the links."""
    out = write_images(tmp_path / "out", QEMU_PCI_MSI=msi)
    assert ("pci=noacpi" in cmdline(dry_run(out)).split()) == expected
    # microvm has no PCI, and pci=noacpi would hide its virtio-mmio devices.
    assert "pci=noacpi" not in cmdline(dry_run(out, "--machine", "microvm")).split()


def test_kernel_image_from_qemu_conf(tmp_path):
    out = write_images(tmp_path / "out", QEMU_KERNEL="vmlinux")
    assert option(dry_run(out), "-kernel") == [str(out / "images" / "vmlinux")]
    # A screen needs the bzImage: the PVH entry gets no screen information.
    (out / "images" / "bzImage").write_bytes(b"")
    for console in ("--graphical", "--both"):
        argv = dry_run(out, console, "--display", "none")
        assert option(argv, "-kernel") == [str(out / "images" / "bzImage")]
    assert option(dry_run(out), "-kernel") == [str(out / "images" / "vmlinux")]


def test_graphical_console_headless(out):
    argv = dry_run(out, "--graphical", "--display", "none")
    assert "-serial" not in argv
    assert option(argv, "-display") == ["none"]
    # SeaBIOS (its VGA BIOS sets up the text mode), a VGA card, the monitor in the window
    assert "-bios" not in argv and contains(argv, ["-vga", "std", "-monitor", "vc"])
    assert "console=tty0" in cmdline(argv).split()
    assert "console=ttyS0" not in cmdline(argv).split()


def test_graphical_console_vnc(out):
    argv = dry_run(out, "--graphical", "--display", "vnc=127.0.0.1:3")
    assert option(argv, "-display") == ["vnc=127.0.0.1:3"]


def test_graphical_console_default_display(out):
    argv = dry_run(out, "--graphical", env=base_env(DISPLAY=":0"))
    assert "-display" not in argv and "-serial" not in argv
    argv = dry_run(out, "--graphical", env=base_env(WAYLAND_DISPLAY="wayland-0"))
    assert "-display" not in argv


def test_both_consoles_serial_primary(out):
    argv = dry_run(out, "--both", "--display", "none")
    assert option(argv, "-serial") == ["mon:stdio"]
    assert contains(argv, ["-vga", "std"]) and "-bios" not in argv
    args = cmdline(argv).split()
    assert args.index("console=tty0") < args.index("console=ttyS0")


def test_console_mode_from_qemu_conf(tmp_path):
    out = write_images(tmp_path / "out", QEMU_CONSOLE="both")
    argv = dry_run(out, "--display", "none")
    assert option(argv, "-serial") == ["mon:stdio"]
    assert contains(dry_run(out, "--serial"), SERIAL_HERE)


def test_display_is_ignored_with_the_serial_console(out):
    argv = dry_run(out, "--display", "vnc=127.0.0.1:3")
    assert contains(argv, SERIAL_HERE) and option(argv, "-display") == ["none"]


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_pc_machines(out, machine):
    argv = dry_run(out, "--machine", machine)
    assert option(argv, "-M") == [machine]
    assert "-icount" not in argv
    assert "reboot=t" not in cmdline(argv).split()


def test_microvm(out):
    argv = dry_run(out, "--machine", "microvm")
    assert option(argv, "-M") == ["microvm,pit=on,pic=on"]
    # TCG: the TSC calibration needs the virtual clock (see start.sh).
    assert option(argv, "-icount") == ["shift=auto,sleep=off"]
    assert "-icount" not in dry_run(out, "--machine", "microvm", "--accel", "kvm")


def test_microvm_without_acpi_reboots_with_triple_fault(tmp_path):
    out = write_images(tmp_path / "out", QEMU_MACHINE="microvm", QEMU_POWEROFF="reboot")
    assert "reboot=t" in cmdline(dry_run(out)).split()
    assert "reboot=t" not in cmdline(dry_run(out, "--machine", "pc")).split()


def test_settings_from_qemu_conf(tmp_path):
    out = write_images(tmp_path / "out", QEMU_MACHINE="q35", QEMU_MEMORY="512", QEMU_CPUS="2",
                       QEMU_APPEND='quiet foo="a b"')
    argv = dry_run(out)
    assert option(argv, "-M") == ["q35"]
    assert option(argv, "-m") == ["512"] and option(argv, "-smp") == ["2"]
    assert cmdline(argv).endswith(' quiet foo="a b"')


def test_mem_cpus_machine_override(out):
    argv = dry_run(out, "--mem", "64", "--cpus", "2", "--machine", "q35")
    assert option(argv, "-m") == ["64"] and option(argv, "-smp") == ["2"]
    assert option(argv, "-M") == ["q35"]
    argv = dry_run(out, "--mem=96", "--cpus=3")
    assert option(argv, "-m") == ["96"] and option(argv, "-smp") == ["3"]


def test_append_goes_after_the_configured_arguments(out):
    argv = dry_run(out, "--append", "loglevel=7 foo=bar", "--append", "baz")
    assert cmdline(argv) == "console=ttyS0 panic=-1 no_timer_check quiet loglevel=7 foo=bar baz"


def test_embedded_initramfs(tmp_path):
    out = write_images(tmp_path / "out", QEMU_INITRD="")
    assert "-initrd" not in dry_run(out)


def test_extra_qemu_arguments_verbatim(out):
    extra = ["-device", "virtio-rng-pci", "-name", "with space", "--", "$HOME", "-nic", "none"]
    argv = dry_run(out, "--mem", "128", "--", *extra)
    assert argv[-len(extra):] == extra
    assert option(argv, "-m") == ["128"]


def test_too_long_command_line(out):
    line = error_line(run("--output", out, "--dry-run", "--accel", "tcg", "--append", "x" * 2100))
    assert "too long" in line and "2047" in line


# --- --exec ----------------------------------------------------------------------

# Quotes, spaces, a tab, $, %, backslashes and newlines, verbatim.
TRICKY = "printf '%s|' \"a  b\" '$HOME' \"$((6*7))\" \"tab\there\"; echo\necho \"it's \\\"quoted\\\"\"\nexit 7\n"


def exec_hex(argv):
    values = [arg.split("=", 1)[1] for arg in cmdline(argv).split() if arg.startswith("tinyinit_exec=")]
    assert len(values) == 1
    assert re.fullmatch(r"[0-9a-f]+", values[0])
    return values[0]


@pytest.mark.parametrize("command", [TRICKY, "true", "echo 'é ü → ✓' *", "x" * 900, "a\n\n"])
def test_exec_hex_round_trip(out, command):
    argv = dry_run(out, "--exec", command)
    assert bytes.fromhex(exec_hex(argv)) == command.encode()


def test_exec_forces_the_serial_console_and_a_quiet_kernel(tmp_path):
    out = write_images(tmp_path / "out", QEMU_CONSOLE="graphical")
    argv = dry_run(out, "--exec", "true", "--append", "foo")
    args = cmdline(argv).split()
    assert args[0] == "console=ttyS0" and "console=tty0" not in args
    assert "quiet" in args and "loglevel=1" in args
    assert args.index("loglevel=1") < args.index("foo")
    assert args[-1].startswith("tinyinit_exec=")
    assert contains(argv, SERIAL_HERE)
    # The init powers off through QEMU's isa-debug-exit device, at the port it is told.
    assert "tinyinit_debug_exit=0xf4" in args
    assert contains(argv, ["-device", "isa-debug-exit,iobase=0xf4,iosize=1"])
    assert "isa-debug-exit" not in " ".join(dry_run(out, "--serial"))


def test_exec_with_graphical_is_refused(out):
    result = run("--output", out, "--exec", "true", "--graphical")
    assert result.returncode == 2
    assert "--exec" in error_line(result)


def test_exec_too_long_refused_at_the_limit(out):
    # start.sh says how many bytes fit; exactly that many must pass.
    line = error_line(run("--output", out, "--dry-run", "--accel", "tcg", "--exec", "y" * 3000))
    assert "too long" in line and "3000 bytes" in line
    room = int(re.search(r"at most (\d+)", line)[1])
    assert 900 < room < 1024
    argv = dry_run(out, "--exec", "y" * room)
    assert len(cmdline(argv).encode()) <= 2047
    assert bytes.fromhex(exec_hex(argv)) == b"y" * room
    assert run("--output", out, "--dry-run", "--accel", "tcg", "--exec", "y" * (room + 1)).returncode == 1


def test_exec_counts_bytes_not_characters(out):
    line = error_line(run("--output", out, "--dry-run", "--accel", "tcg", "--exec", "é" * 600))
    assert "1200 bytes" in line


# --- network and shared folder -----------------------------------------------------

def netdev(argv):
    (value,) = option(argv, "-netdev")
    return value.split(",")


def free_port(kind=socket.SOCK_STREAM):
    """A port of 127.0.0.1 that nothing uses at the moment."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def listener():
    """A TCP server on 127.0.0.1 (accepting, never answering); yields its port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_default_network_is_user_networking_on_virtio(out, machine):
    argv = dry_run(out, "--machine", machine)
    assert netdev(argv) == ["user", "id=net0"]
    # romfile= leaves out the iPXE option ROM, which costs boot time.
    assert contains(argv, ["-device", "virtio-net-pci,netdev=net0,romfile="])
    assert "-nic" not in argv


def test_microvm_network_and_share_on_virtio_mmio(out, tmp_path):
    # microvm has no PCI bus: virtio-*-pci would fail with "No 'PCI' bus found".
    argv = dry_run(out, "--machine", "microvm", "--share", tmp_path)
    assert contains(argv, ["-device", "virtio-net-device,netdev=net0"])
    assert contains(argv, ["-device", "virtio-9p-device,fsdev=share0,mount_tag=host"])
    assert not any("-pci" in arg for arg in argv)


def test_restricted_network(out):
    assert netdev(dry_run(out, "--net", "restricted")) == ["user", "id=net0", "restrict=on"]
    assert netdev(dry_run(out, "--net=restricted")) == ["user", "id=net0", "restrict=on"]


def test_no_network(out):
    argv = dry_run(out, "--net", "none")
    assert contains(argv, ["-nic", "none"])
    assert "-netdev" not in argv and not any("virtio-net" in arg for arg in argv)


@pytest.mark.parametrize("conf,args,expected", [
    ("restricted", [], ["user", "id=net0", "restrict=on"]),
    ("restricted", ["--net", "user"], ["user", "id=net0"]),
    ("none", [], None),
    ("none", ["--net", "restricted"], ["user", "id=net0", "restrict=on"]),
    ("user", ["--net", "none", "--net", "user"], ["user", "id=net0"]),  # the last one wins
])
def test_network_mode_from_qemu_conf(tmp_path, conf, args, expected):
    argv = dry_run(write_images(tmp_path / "out", QEMU_NET=conf), *args)
    if expected is None:
        assert contains(argv, ["-nic", "none"]) and "-netdev" not in argv
    else:
        assert netdev(argv) == expected


def test_bad_qemu_conf_network_mode(tmp_path):
    out = write_images(tmp_path / "out", QEMU_NET="bridge")
    assert "QEMU_NET must be user, restricted or none" in error_line(
        run("--output", out, "--dry-run", "--accel", "tcg"))


@pytest.mark.parametrize("capable", ["n", None])
def test_kernel_without_networking_boots_without_a_network_device(tmp_path, capable):
    """No virtio-net in the kernel (or a qemu.conf from before the setting):
    no network device, silently, whatever QEMU_NET says."""
    out = write_images(tmp_path / "out", QEMU_NET_CAPABLE=capable, QEMU_NET="restricted",
                       QEMU_FORWARDS=f"{free_port()}:22")
    argv = dry_run(out)
    assert contains(argv, ["-nic", "none"]) and "-netdev" not in argv
    assert contains(dry_run(out, "--net", "none"), ["-nic", "none"])


@pytest.mark.parametrize("args", [["--net", "user"], ["--net", "restricted"],
                                  ["--forward", "2222:22"], ["--guestfwd", "8080:1"]])
def test_kernel_without_networking_refuses_network_options(tmp_path, args):
    out = write_images(tmp_path / "out", QEMU_NET_CAPABLE="n")
    result = run("--output", out, "--dry-run", "--accel", "tcg", *args)
    assert result.returncode == 1
    line = error_line(result)
    assert line.startswith(f"start.sh: {args[0]}")
    assert "CONFIG_VIRTIO_NET" in line and 'Kernel → "Networking"' in line
    assert "TR_PACKAGE_LINUX_NETWORK" in line and f"make O={out}" in line


def test_forwards_listen_on_the_host_loopback_only(out):
    tcp, udp, other = free_port(), free_port(socket.SOCK_DGRAM), free_port()
    argv = dry_run(out, "--forward", f"{tcp}:22", "--forward", f"udp:{udp}:53",
                   f"--forward=tcp:{other}:8080")
    assert netdev(argv) == ["user", "id=net0", f"hostfwd=tcp:127.0.0.1:{tcp}-:22",
                            f"hostfwd=udp:127.0.0.1:{udp}-:53", f"hostfwd=tcp:127.0.0.1:{other}-:8080"]
    # Restricted: the host still reaches the VM through them.
    argv = dry_run(out, "--net", "restricted", "--forward", f"{tcp}:22")
    assert netdev(argv) == ["user", "id=net0", "restrict=on", f"hostfwd=tcp:127.0.0.1:{tcp}-:22"]


def test_forwards_of_qemu_conf_come_first_and_options_add_to_them(tmp_path):
    ssh, dns, web = free_port(), free_port(socket.SOCK_DGRAM), free_port()
    out = write_images(tmp_path / "out", QEMU_FORWARDS=f"  {ssh}:22   udp:{dns}:53 ")
    assert netdev(dry_run(out, "--forward", f"{web}:80")) == [
        "user", "id=net0", f"hostfwd=tcp:127.0.0.1:{ssh}-:22", f"hostfwd=udp:127.0.0.1:{dns}-:53",
        f"hostfwd=tcp:127.0.0.1:{web}-:80"]
    # No network, no forwards: --net none drops them, silently.
    argv = dry_run(out, "--net", "none")
    assert contains(argv, ["-nic", "none"]) and not any("hostfwd" in arg for arg in argv)


@pytest.mark.parametrize("forwards", ["2222", "tcp:2222:22 *", "2222:22,hostfwd=tcp::23-:23",
                                      "udp:0:53"])
def test_bad_qemu_conf_forwards(tmp_path, forwards):
    out = write_images(tmp_path / "out", QEMU_FORWARDS=forwards)
    result = run("--output", out, "--dry-run", "--accel", "tcg")
    assert result.returncode == 1
    line = error_line(result)
    assert "qemu.conf: QEMU_FORWARDS" in line
    assert "QEMU launcher → Port forwards" in line and "menuconfig" in line


@pytest.mark.parametrize("spec", ["{port}:22", "tcp:{port}:22"])
@pytest.mark.parametrize("address", ["127.0.0.1", "0.0.0.0"])
def test_forward_to_a_host_port_in_use(out, spec, address):
    with socket.socket() as s:
        s.bind((address, 0))
        s.listen()
        port = s.getsockname()[1]
        result = run("--output", out, "--dry-run", "--accel", "tcg", "--forward", spec.format(port=port))
    assert result.returncode == 1
    line = error_line(result)
    assert f"cannot listen on 127.0.0.1:{port} (tcp)" in line and "in use" in line
    assert "choose another host port" in line


def test_udp_forward_to_a_bound_host_port(out):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        line = error_line(run("--output", out, "--dry-run", "--accel", "tcg",
                              "--forward", f"udp:{port}:53"))
        assert f"cannot listen on 127.0.0.1:{port} (udp)" in line and "in use" in line
        # A bound UDP port does not keep TCP from it, nor the other way round.
        assert f"hostfwd=tcp:127.0.0.1:{port}-:53" in netdev(dry_run(out, "--forward", f"{port}:53"))


def test_forward_in_use_from_qemu_conf(tmp_path, listener):
    out = write_images(tmp_path / "out", QEMU_FORWARDS=f"{listener}:22")
    line = error_line(run("--output", out, "--dry-run", "--accel", "tcg"))
    assert "QEMU_FORWARDS" in line and f"127.0.0.1:{listener}" in line


def test_same_host_port_forwarded_twice(tmp_path):
    port = free_port()
    out = write_images(tmp_path / "out", QEMU_FORWARDS=f"{port}:22")
    result = run("--output", out, "--dry-run", "--accel", "tcg", "--forward", f"tcp:{port}:23")
    assert result.returncode == 2
    assert f"tcp port {port} of the host is already forwarded" in error_line(result)
    # One port, two protocols: two rules.
    assert len([a for a in netdev(dry_run(out, "--forward", f"udp:{port}:22")) if "hostfwd" in a]) == 2


def relay(port):
    """The guestfwd target: a relay to the host's port for each connection."""
    return f"cmd:bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port}; cat <&3 & cat >&3; wait'"


def test_guestfwd_reaches_a_server_on_the_host_loopback(out, listener):
    for net in ("user", "restricted"):
        argv = dry_run(out, "--net", net, "--guestfwd", f"8080:{listener}")
        assert netdev(argv)[-1] == f"guestfwd=tcp:10.0.2.100:8080-{relay(listener)}"
    argv = dry_run(out, "--net", "restricted", f"--guestfwd=80:{listener}", "--guestfwd", f"81:{listener}")
    assert netdev(argv)[2:] == ["restrict=on", f"guestfwd=tcp:10.0.2.100:80-{relay(listener)}",
                                f"guestfwd=tcp:10.0.2.100:81-{relay(listener)}"]


def test_guestfwd_without_a_server(out):
    port = free_port()
    result = run("--output", out, "--dry-run", "--accel", "tcg", "--guestfwd", f"8080:{port}")
    assert result.returncode == 1
    line = error_line(result)
    assert f"--guestfwd 8080:{port}: nothing listens on 127.0.0.1:{port}" in line
    assert "start the server first" in line


def test_guestfwd_port_twice(out, listener):
    result = run("--output", out, "--dry-run", "--accel", "tcg", "--guestfwd", f"8080:{listener}",
                 "--guestfwd", f"8080:{listener}")
    assert result.returncode == 2
    assert "port 8080 of 10.0.2.100 is already forwarded" in error_line(result)


@pytest.mark.parametrize("args", [["--net", "none", "--forward", "2222:22"],
                                  ["--forward", "2222:22", "--net", "none"],
                                  ["--net", "none", "--guestfwd", "8080:1"]])
def test_forwards_need_a_network(out, args):
    result = run("--output", out, "--dry-run", "--accel", "tcg", *args)
    assert result.returncode == 2
    opt = next(a for a in args if a != "--net" and a.startswith("--"))
    assert f"{opt} needs a network: drop --net none" in error_line(result)


def test_forward_with_qemu_conf_without_network(tmp_path):
    out = write_images(tmp_path / "out", QEMU_NET="none")
    result = run("--output", out, "--dry-run", "--accel", "tcg", "--forward", f"{free_port()}:22")
    assert result.returncode == 2
    line = error_line(result)
    assert "QEMU_NET=none" in line and "--net restricted" in line


def test_share(out, tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    argv = dry_run(out, "--share", share)
    assert contains(argv, ["-fsdev", f"local,id=share0,path={share},security_model=none",
                           "-device", "virtio-9p-pci,fsdev=share0,mount_tag=host"])
    # A share is no network: it goes with --net none too.
    argv = dry_run(out, "--net", "none", f"--share={share}")
    assert contains(argv, ["-nic", "none"]) and "-fsdev" in argv


def test_share_path_with_commas_and_other_characters(out, tmp_path):
    # QEMU splits its option values at commas (a literal one is doubled);
    # everything else reaches it as it is.
    share = tmp_path / "a,b=c d:é'"
    share.mkdir()
    (fsdev,) = option(dry_run(out, "--share", share), "-fsdev")
    assert fsdev == f"local,id=share0,path={str(share).replace(',', ',,')},security_model=none"


def test_share_relative_path(out, tmp_path):
    (tmp_path / "here").mkdir()
    result = run("--output", out, "--dry-run", "--accel", "tcg", "--share", "here", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "local,id=share0,path=here,security_model=none" in result.stdout.splitlines()


def test_share_errors(out, tmp_path):
    missing = tmp_path / "missing"
    line = error_line(run("--output", out, "--dry-run", "--accel", "tcg", "--share", missing))
    assert f"--share: no folder {missing}" in line
    afile = tmp_path / "file"
    afile.write_text("")
    result = run("--output", out, "--dry-run", "--accel", "tcg", "--share", afile)
    assert result.returncode == 1
    assert f"--share: {afile} is not a folder" in error_line(result)


@pytest.mark.parametrize("capable", ["n", None])
def test_share_needs_9p_in_the_kernel(tmp_path, capable):
    out = write_images(tmp_path / "out", QEMU_SHARE_CAPABLE=capable)
    result = run("--output", out, "--dry-run", "--accel", "tcg", "--share", tmp_path)
    assert result.returncode == 1
    line = error_line(result)
    assert "--share" in line and "9p" in line and "TR_PACKAGE_LINUX_NETWORK" in line


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("runuser"),
                    reason="needs root and runuser, to run start.sh as another user")
def test_errors_of_an_ordinary_user():
    """What root may and nobody may not: a host port below 1024, a folder
    that is not theirs to read."""
    work = Path(tempfile.mkdtemp(prefix="tr-launcher-"))  # pytest's tmp is root's alone
    try:
        work.chmod(0o755)
        out = write_images(work / "out")
        secret = work / "secret"
        secret.mkdir(mode=0o700)

        def as_nobody(*args):
            result = subprocess.run(["runuser", "-u", "nobody", "--", str(START), "--output", str(out),
                                     "--dry-run", "--accel", "tcg", *args], env=base_env(),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            assert result.returncode == 1
            return error_line(result)
        if int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text()) > 80:
            assert "cannot listen on 127.0.0.1:80 (tcp): Permission denied" in as_nobody("--forward", "80:80")
        assert f"nobody may not read the folder {secret}" in as_nobody("--share", str(secret))
    finally:
        shutil.rmtree(work)


@pytest.mark.parametrize("args", [["--forward", "{busy}:22"], ["--guestfwd", "8080:{free}"],
                                  ["--share", "/nonexistent"], ["--net", "none", "--forward", "1:2"]])
def test_network_errors_start_nothing(tmp_path, out, listener, args):
    """Without --dry-run too: one line, and QEMU never started."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    marker = tmp_path / "qemu-ran"
    (bindir / QEMU).write_text(f"#!/bin/sh\ntouch {marker}\n")
    (bindir / QEMU).chmod(0o755)
    args = [a.format(busy=listener, free=free_port()) for a in args]
    error_line(run("--output", out, "--accel", "tcg", *args,
                   env=base_env(PATH=f"{bindir}:{os.environ['PATH']}")))
    assert not marker.exists()


# --- other architectures: the virt boards ---------------------------------------

VIRT = {"aarch64": ("qemu-system-aarch64", "qemu-system-arm", "ttyAMA0", ["cortex-a57"]),
        "riscv64": ("qemu-system-riscv64", "qemu-system-misc", "ttyS0", [])}


def virt_images(out, arch, **conf):
    """The images of an aarch64 or riscv64 build, as the build writes their qemu.conf."""
    return write_images(out, QEMU_ARCH=arch, QEMU_KERNEL="Image", QEMU_MACHINE="virt",
                        QEMU_POWEROFF="firmware", QEMU_GRAPHICAL_CAPABLE="n", **conf)


@pytest.mark.parametrize("arch", VIRT)
def test_virt_board_command_line(tmp_path, arch):
    qemu, _, console, cpu = VIRT[arch]
    out = virt_images(tmp_path / "out", arch, QEMU_PCI_MSI="y")
    argv = dry_run(out, "--exec", "true", "--share", tmp_path)
    assert argv[0] == qemu
    assert option(argv, "-M") == ["virt"] and option(argv, "-cpu") == cpu
    assert option(argv, "-kernel") == [str(out / "images/Image")]
    # QEMU loads the kernel itself (riscv64: after its own OpenSBI): no qboot.
    assert "-bios" not in argv
    args = cmdline(argv).split()
    assert args[:2] == [f"console={console}", "panic=-1"]
    # Nothing of the PC's: its kernel options, its debug-exit port, its ISA pvpanic.
    assert not {"no_timer_check", "pci=noacpi", "tinyinit_debug_exit=0xf4"} & set(args)
    devices = option(argv, "-device")
    assert "pvpanic-pci" in devices and "pvpanic" not in devices
    assert not any("isa-debug-exit" in d for d in devices)
    assert "virtio-net-pci,netdev=net0,romfile=" in devices
    assert "virtio-9p-pci,fsdev=share0,mount_tag=host" in devices
    assert contains(argv, SERIAL_HERE)


@pytest.mark.parametrize("arch", VIRT)
def test_virt_board_is_emulated_without_probing_kvm(tmp_path, arch):
    out = virt_images(tmp_path / "out", arch)
    result = run("--output", out, "--dry-run", env=base_env(XDG_CACHE_HOME=str(tmp_path / "cache")))
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert option(result.stdout.splitlines(), "-accel") == ["tcg"]
    assert not (tmp_path / "cache/tinyroot/kvm-probe").exists()
    line = error_line(run("--output", out, "--dry-run", "--accel", "kvm"))
    assert f"an {arch} guest" in line and "--accel tcg" in line


@pytest.mark.parametrize("arch", VIRT)
@pytest.mark.parametrize("args,expected", [
    (["--machine", "pc"], "boots on virt"),
    (["--graphical", "--display", "none"], "has no screen"),
    (["--both", "--display", "none"], "has no screen")])
def test_virt_board_refuses_what_it_has_not(tmp_path, arch, args, expected):
    line = error_line(run("--output", virt_images(tmp_path / "out", arch), "--dry-run", *args))
    assert expected in line and arch in line


def test_pc_refuses_the_virt_board(out):
    line = error_line(run("--output", out, "--dry-run", "--machine", "virt"))
    assert "x86_64 boots on pc, q35, microvm" in line


def test_riscv64_command_line_limit_is_its_own(tmp_path):
    # riscv's COMMAND_LINE_SIZE is 1024, x86's and arm64's 2048.
    riscv = virt_images(tmp_path / "riscv", "riscv64")
    line = error_line(run("--output", riscv, "--dry-run", "--append", "x" * 1100))
    assert "too long" in line and "at most 1023" in line
    assert dry_run(virt_images(tmp_path / "arm", "aarch64"), "--append", "x" * 1100)
    line = error_line(run("--output", riscv, "--dry-run", "--exec", "y" * 600))
    room = int(re.search(r"at most (\d+)", line)[1])
    assert 400 < room < 512
    assert len(cmdline(dry_run(riscv, "--exec", "y" * room)).encode()) <= 1023


@pytest.mark.parametrize("arch", VIRT)
def test_virt_qemu_not_installed_names_its_package(tmp_path, arch):
    qemu, package, _, _ = VIRT[arch]
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for directory in ("/usr/local/bin", "/usr/bin", "/bin"):
        for name in os.listdir(directory) if os.path.isdir(directory) else ():
            if name != qemu and not (bindir / name).exists():
                (bindir / name).symlink_to(os.path.join(directory, name))
    line = error_line(run("--output", virt_images(tmp_path / "out", arch), "--dry-run",
                          env=base_env(PATH=str(bindir))))
    assert f"{qemu} not found" in line and f"Debian package {package}" in line


def test_unknown_architecture_in_qemu_conf(tmp_path):
    line = error_line(run("--output", write_images(tmp_path / "out", QEMU_ARCH="mips"), "--dry-run"))
    assert "QEMU_ARCH" in line and "'mips'" in line


# --- the KVM probe ---------------------------------------------------------------

def test_kvm_probe_is_quick_here(out):
    start = time.monotonic()
    result = run("--output", out, "--dry-run")
    elapsed = time.monotonic() - start
    assert result.returncode == 0, result.stderr
    assert elapsed < 5
    (accel,) = option(result.stdout.splitlines(), "-accel")
    if accel == "tcg":
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and "KVM" in lines[0] and "using TCG" in lines[0]
    else:  # a host where KVM really works
        assert accel == "kvm" and result.stderr == ""


def fake_qemu(tmp_path, kvm_behaviour):
    """PATH with a qemu-system-x86_64 that does `kvm_behaviour` for -accel kvm."""
    bindir = tmp_path / "fakebin"
    bindir.mkdir()
    script = bindir / QEMU
    script.write_text("#!/bin/sh\n"
                      'case " $* " in *" -accel kvm "*) ' + kvm_behaviour + " ;; esac\n"
                      f'exec /usr/bin/{QEMU} "$@"\n')
    script.chmod(0o755)
    return base_env(PATH=f"{bindir}:{os.environ['PATH']}")


needs_dev_kvm = pytest.mark.skipif(not os.access("/dev/kvm", os.R_OK | os.W_OK),
                                   reason="no usable /dev/kvm: the probe stops before QEMU")


@needs_dev_kvm
def test_kvm_probe_gives_up_on_a_hanging_guest(tmp_path, out):
    env = fake_qemu(tmp_path, "exec sleep 60")
    start = time.monotonic()
    result = run("--output", out, "--dry-run", env=env)
    assert time.monotonic() - start < 4
    assert option(result.stdout.splitlines(), "-accel") == ["tcg"]
    (line,) = result.stderr.splitlines()
    assert "did not get through the firmware" in line and "using TCG" in line


@needs_dev_kvm
def test_kvm_probe_failing_qemu(tmp_path, out):
    result = run("--output", out, "--dry-run", env=fake_qemu(tmp_path, "exit 1"))
    assert option(result.stdout.splitlines(), "-accel") == ["tcg"]
    (line,) = result.stderr.splitlines()
    assert "status 1" in line and "using TCG" in line


@needs_dev_kvm
def test_kvm_probe_success(tmp_path, out):
    # The probe's boot sector exits through isa-debug-exit with 0x2a: status 85.
    result = run("--output", out, "--dry-run", env=fake_qemu(tmp_path, "exit 85"))
    assert result.stderr == ""
    assert option(result.stdout.splitlines(), "-accel") == ["kvm"]


@needs_dev_kvm
def test_kvm_probe_verdict_is_kept_until_qemu_changes(tmp_path, out):
    calls = tmp_path / "probes"
    env = fake_qemu(tmp_path, f"echo >>{calls}; exit 1")
    for _ in range(2):
        result = run("--output", out, "--dry-run", env=env)
        assert option(result.stdout.splitlines(), "-accel") == ["tcg"]
        assert "status 1" in result.stderr  # the note, cached or not
    assert len(calls.read_text().splitlines()) == 1
    os.utime(tmp_path / "fakebin" / QEMU)  # an updated QEMU: probed again
    run("--output", out, "--dry-run", env=env)
    assert len(calls.read_text().splitlines()) == 2


def test_probe_boot_sector_runs_under_tcg(tmp_path):
    """The probe's guest, under TCG: it must exit with 85, proving the probe
    would see a working KVM. Uses the launcher's own bytes (launcher/kvm.sh)."""
    text = (START.parent / "launcher" / "kvm.sh").read_text()
    code = re.search(r"printf '((?:\\\d{3})+)'\n\t\tdd if=/dev/zero bs=(\d+)", text)
    image = tmp_path / "probe.img"
    subprocess.run(["sh", "-c", f"{{ printf '{code[1]}'; dd if=/dev/zero bs={code[2]} count=1 2>/dev/null;"
                    f" printf '\\125\\252'; }} > {image}"], check=True)
    assert image.stat().st_size == 512
    result = subprocess.run([QEMU, "-accel", "tcg", "-M", "pc", "-m", "16", "-nodefaults",
                             "-display", "none", "-no-reboot",
                             "-drive", f"file={image},format=raw,if=ide",
                             "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"],
                            stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    assert result.returncode == 85


def test_qemu_error_is_not_a_panic(out):
    # QEMU refuses the option before the kernel is even read.
    result = run("--output", out, "--accel", "tcg", "--net", "none", "--", "-no-such-option")
    assert result.returncode == 1
    assert "panic" not in result.stderr
    assert "start.sh: QEMU exited with status 1" in result.stderr.splitlines()


# --- boots ---------------------------------------------------------------------------

REQUIRED_KERNEL_OPTIONS = ("CONFIG_64BIT=y", "CONFIG_ACPI=y", "CONFIG_PVPANIC_MMIO=y",
                           "CONFIG_SERIAL_8250_CONSOLE=y", "CONFIG_BLK_DEV_INITRD=y",
                           "CONFIG_RD_GZIP=y", "CONFIG_BINFMT_SCRIPT=y", "CONFIG_DEVTMPFS=y")


GRAPHICAL_KERNEL_OPTIONS = ("CONFIG_VT=y", "CONFIG_VT_CONSOLE=y", "CONFIG_VGA_CONSOLE=y")


def built_parts(build, cache, required):
    """The kernel and the static BusyBox of a tinyroot build (a private copy
    of the kernel: a test may rebuild it meanwhile), after checking that the
    kernel has what these tests rely on."""
    config = next((build.out / "build").glob("linux-*/src/.config")).read_text().splitlines()
    missing = [opt for opt in required if opt not in config]
    assert not missing, f"the built kernel lacks {missing}"
    shutil.copy2(build.out / "images" / "bzImage", cache / "bzImage")
    busybox = build.target("/bin/busybox")
    assert "statically linked" in subprocess.run(["file", "-L", str(busybox)], text=True,
                                                 stdout=subprocess.PIPE).stdout
    return cache / "bzImage", busybox


def cpio_newc(entries):
    """A newc archive: entries are (name, mode, data); owner root."""
    archive = bytearray()
    for ino, (name, mode, data) in enumerate(entries + [("TRAILER!!!", 0, b"")], start=1):
        rdev = (5, 1) if name == "dev/console" else (0, 0)
        fields = (ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0)
        archive += b"070701" + b"".join(b"%08X" % f for f in fields) + name.encode() + b"\0"
        archive += b"\0" * (-len(archive) % 4)
        archive += data
        archive += b"\0" * (-len(archive) % 4)
    return bytes(archive)


def initramfs(busybox, init):
    entries = [(d, 0o040755, b"") for d in ("bin", "dev", "proc", "sys", "tmp")]
    entries += [("dev/console", 0o020600, b""),
                ("bin/busybox", 0o100755, Path(busybox).read_bytes()),
                ("bin/sh", 0o120777, b"busybox"),
                ("init", 0o100755, init.encode())]
    return gzip.compress(cpio_newc(entries), mtime=0)


INIT_START = """#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
for applet in $(/bin/busybox --list); do /bin/busybox ln -s busybox /bin/$applet 2>/dev/null; done
"""

# A shell prompt, as the tutorial's init.
PROMPT_INIT = INIT_START + """export PS1='tinytest# '
echo tinytest-booted
exec /bin/sh
"""

# The C init's exec protocol, in shell: decode tinyinit_exec (hex), run it
# with sh -c, report "tinyroot: exit status N[ (signal S)]", power off.
EXEC_INIT = INIT_START + """if [ -n "${tinyinit_exec:-}" ]; then
    printf "$(echo "$tinyinit_exec" | sed 's/../\\\\x&/g')" > /tmp/cmd
    cmd=$(cat /tmp/cmd; echo x)
    /bin/sh -c "${cmd%x}"
    status=$?
    if [ "$status" -gt 128 ] && [ "$status" -lt 255 ]; then
        echo "tinyroot: exit status $status (signal $((status - 128)))"
    else
        echo "tinyroot: exit status $status"
    fi
fi
poweroff -f
"""

# No exec protocol: powers off at once.
POWEROFF_INIT = INIT_START + "echo tinytest-booted\npoweroff -f\n"

# Writes the active consoles (the last is the primary one) to ttyS0.
CONSOLES_INIT = INIT_START + """mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "active: $(cat /sys/class/tty/console/active)" > /dev/ttyS0
echo tinytest-booted
poweroff -f
"""

# Stays up, for the signal test.
SLEEP_INIT = INIT_START + "echo tinytest-booted\nexec sleep 1000\n"


@pytest.fixture(scope="session")
def serial_parts(tmp_path_factory, default_image):
    return built_parts(default_image, tmp_path_factory.mktemp("boot"), REQUIRED_KERNEL_OPTIONS)


def vm_maker(tmp_path, parts):
    kernel, busybox = parts

    def make_vm(init, **conf):
        return write_images(tmp_path / "out", kernel=kernel.read_bytes(),
                            initrd=initramfs(busybox, init), **conf)
    return make_vm


@pytest.fixture
def vm(tmp_path, serial_parts):
    """vm(init, **conf): an output directory booting `init`."""
    return vm_maker(tmp_path, serial_parts)


def boot(out, *args, timeout=60):
    start = time.monotonic()
    proc = subprocess.Popen([str(START), "--output", str(out), "--accel", "tcg", "--net", "none", *args],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=base_env(), start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return (proc.returncode, stdout.decode(errors="replace").replace("\r\n", "\n"),
            stderr.decode(errors="replace"), time.monotonic() - start)


@pytest.mark.parametrize("machine", ["pc", "q35", "microvm"])
def test_boot_to_prompt_and_poweroff(vm, machine):
    import pexpect
    out = vm(PROMPT_INIT)
    child = pexpect.spawn(str(START), ["--output", str(out), "--accel", "tcg", "--net", "none",
                                       "--machine", machine],
                          env=base_env(), encoding="utf-8", codec_errors="replace", timeout=60)
    try:
        child.expect_exact("tinytest-booted")
        child.expect_exact("tinytest# ")
        child.sendline("echo $((40 + 2))")
        child.expect_exact("42")
        child.expect_exact("tinytest# ")
        child.sendline("poweroff -f")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before


@pytest.mark.parametrize("machine", ["pc", "q35", "microvm"])
def test_panic_exits_non_zero_quickly(vm, machine):
    out = vm(POWEROFF_INIT)
    status, stdout, stderr, elapsed = boot(out, "--machine", machine,
                                           "--append", "rdinit=/nonexistent init=/nonexistent",
                                           timeout=30)
    assert status == 1, stdout + stderr
    assert stderr.splitlines() == ["start.sh: the kernel panicked (QEMU exit status 1)"]
    assert "Kernel panic" in stdout
    assert elapsed < 10


def test_exec_end_to_end(vm):
    out = vm(EXEC_INIT)
    status, stdout, stderr, _ = boot(out, "--exec", TRICKY)
    assert status == 7, stdout + stderr
    assert stderr == ""
    lines = stdout.splitlines()
    # The command's output first: no boot log.
    assert lines[:3] == ["a  b|$HOME|42|tab\there|", "it's \"quoted\"", "tinyroot: exit status 7"]


@pytest.mark.parametrize("command,expected", [("true", 0), ("exit 255", 255),
                                              ("kill -9 $$", 137), ("echo -n partial; exit 3", 3)])
def test_exec_status(vm, command, expected):
    out = vm(EXEC_INIT)
    status, stdout, stderr, _ = boot(out, "--exec", command)
    assert status == expected, stdout + stderr
    assert stderr == ""


def test_exec_microvm(vm):
    out = vm(EXEC_INIT, QEMU_MACHINE="microvm")
    status, stdout, _, _ = boot(out, "--exec", "cat /proc/cmdline; exit 5")
    assert status == 5
    assert "tinyinit_exec=" in stdout


def test_exec_without_the_c_init(vm):
    out = vm(POWEROFF_INIT)
    status, stdout, stderr, _ = boot(out, "--exec", "true")
    assert status == 255
    (line,) = stderr.splitlines()
    assert "tinyroot: exit status N" in line and "C init" in line
    assert "tinytest-booted" in stdout


def test_exec_qemu_failure_is_not_blamed_on_the_init(vm):
    out = vm(EXEC_INIT)
    status, _, stderr, _ = boot(out, "--exec", "true", "--", "-no-such-option")
    assert status == 255
    assert stderr.splitlines()[-1] == (
        "start.sh: --exec: QEMU exited with status 1 before the command reported its exit status")


def test_exec_kernel_panic(vm):
    out = vm(EXEC_INIT)
    status, _, stderr, _ = boot(out, "--exec", "true", "--append", "rdinit=/x init=/x")
    assert status == 255
    assert stderr.splitlines() == [
        "start.sh: --exec: the kernel panicked before the command reported its exit status"]


def children(pid):
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_sigterm_stops_qemu(vm):
    out = vm(SLEEP_INIT)
    proc = subprocess.Popen([str(START), "--output", str(out), "--accel", "tcg", "--net", "none"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=base_env(), start_new_session=True)
    try:
        seen = b""
        deadline = time.monotonic() + 60
        while b"tinytest-booted" not in seen and time.monotonic() < deadline:
            chunk = proc.stdout.read1(4096)
            if not chunk:
                break
            seen += chunk
        assert b"tinytest-booted" in seen
        (qemu_pid,) = children(proc.pid)
        proc.terminate()
        assert proc.wait(timeout=10) == 143
        # start.sh waited for QEMU: it is gone, not even a zombie.
        assert not Path(f"/proc/{qemu_pid}").exists()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


