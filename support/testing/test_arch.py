"""aarch64 and riscv64: their defconfigs cross-built once per session each
(through the session's compiler cache, in the background while the other
tests run: conftest's background_builds) and booted under TCG on QEMU's virt
board through start.sh; an architecture switch in an output directory; the
host check's word for a missing cross compiler."""
import os
import subprocess
from pathlib import Path

import pytest

from conftest import IMAGE_DL_DIR, TOPDIR, Build, error_lines, path_without, with_kernel
from test_packages import steps_run
from vm import VM

START = str(TOPDIR / "board/qemu/start.sh")
# What `file` says of each architecture's ELF files.
FILE_MACHINE = {"x86_64": "x86-64", "aarch64": "ARM aarch64", "riscv64": "UCB RISC-V"}
ARCHES = ("aarch64", "riscv64")


@pytest.fixture(scope="session")
def aarch64_image(background_builds):
    """qemu_aarch64_virt_defconfig, built once per session, in the background."""
    return background_builds.result("aarch64")


@pytest.fixture(scope="session")
def riscv64_image(background_builds):
    """qemu_riscv64_virt_defconfig, built once per session, in the background."""
    return background_builds.result("riscv64")


@pytest.fixture(params=ARCHES)
def arch_image(request):
    return request.param, request.getfixturevalue(f"{request.param}_image")


def start(out, *args):
    return VM([START, "--output", str(out), *args], timeout=120)


def run_start(out, *args):
    return subprocess.run([START, "--output", str(out), *args], text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)


def assert_a_panic_exits_1(out):
    """A kernel that finds no init panics; start.sh says so and exits 1."""
    result = run_start(out, "--net", "none", "--append", "rdinit=/nonexistent init=/nonexistent")
    assert result.returncode == 1, result.stderr
    assert "panicked" in result.stderr
    assert "Kernel panic" in result.stdout


def elf_files(root):
    """Every ELF file under root (symbolic links not followed)."""
    found = []
    for directory, _, names in os.walk(root):
        for name in names:
            path = Path(directory) / name
            if not path.is_symlink() and path.read_bytes()[:4] == b"\x7fELF":
                found.append(path)
    return found


def machines_of(paths):
    """{path: what `file` says of it}."""
    out = subprocess.run(["file", "-b", *map(str, paths)], text=True, check=True,
                         stdout=subprocess.PIPE).stdout.splitlines()
    return dict(zip(paths, out))


def assert_all_of(arch, root):
    files = machines_of(elf_files(root))
    assert files, f"no ELF file under {root}"
    wrong = {str(p): kind for p, kind in files.items() if FILE_MACHINE[arch] not in kind}
    assert not wrong, wrong
    return files


def test_defconfig_builds_a_kernel_and_a_target_of_its_architecture(arch_image):
    arch, build = arch_image
    conf = build.qemu_conf()
    assert (conf["QEMU_ARCH"], conf["QEMU_MACHINE"], conf["QEMU_KERNEL"]) == (arch, "virt", "Image")
    kind = subprocess.run(["file", "-b", str(build.out / "images/Image")], text=True,
                          stdout=subprocess.PIPE).stdout
    # (riscv's Image has the EFI stub of a portable kernel: a PE file too)
    assert {"aarch64": "Linux kernel ARM64 boot executable Image",
            "riscv64": "PE32+ executable (EFI application) RISC-V 64-bit"}[arch] in kind, kind
    assert not (build.out / "images/bzImage").exists()
    files = assert_all_of(arch, build.out / "target")
    assert all("statically linked" in kind for kind in files.values()), files
    assert {build.target("/bin/busybox"), build.target("/sbin/tinyinit")} <= set(files)


def test_boots_to_a_prompt_with_the_launchers_options(arch_image, tmp_path):
    arch, build = arch_image
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "hello.txt").write_text("from the host\n")
    vm = start(build.out, "--net", "restricted", "--mem", "384", "--share", str(shared),
               "--append", "tinyroot.test=1")
    try:
        vm.wait_for_shell(timeout=120)
        assert vm.run("uname -m") == (arch, 0)
        assert vm.run("readlink /proc/1/exe") == ("/sbin/tinyinit", 0)
        assert "tinyroot.test=1" in vm.run("cat /proc/cmdline")[0]
        total_kb = int(vm.run("sed -n 's/^MemTotal: *\\([0-9]*\\) kB/\\1/p' /proc/meminfo")[0])
        assert 300 * 1024 < total_kb <= 384 * 1024, total_kb
        vm.wait_for_dhcp()
        assert vm.run("cat /mnt/host/hello.txt") == ("from the host", 0)
        vm.console.sendline("poweroff")
        assert vm.wait_exit(timeout=60) == 0
    finally:
        vm.kill()


def test_exec_prints_the_architecture_and_returns_the_status(arch_image):
    arch, build = arch_image
    result = run_start(build.out, "--net", "none", "--exec", "uname -m; exit 4")
    assert result.returncode == 4, result.stderr
    assert arch in result.stdout.splitlines(), result.stdout


def test_a_panic_exits_non_zero(arch_image):
    _, build = arch_image
    assert_a_panic_exits_1(build.out)


def test_switching_architecture_rebuilds_it_all(aarch64_image, rootfs_build, tmp_path):
    """x86_64 → aarch64 (dynamically linked, with the small BusyBox) → x86_64
    in one output directory: every package built again, nothing of the
    other architecture left in the target, the loader and C library the
    cross compiler's; the aarch64 initramfs boots with the aarch64 kernel."""
    assert_all_of("x86_64", rootfs_build.out / "target")
    rootfs_build.set_config(TR_ARCH_AARCH64="y", TR_STATIC="n", TR_PACKAGE_BUSYBOX_CONFIG_SMALL="y")
    try:
        ran = steps_run(rootfs_build.make().stdout)
        assert {("busybox", "Building"), ("tinyinit", "Building"), ("skeleton", "Installing")} <= ran, ran
        files = assert_all_of("aarch64", rootfs_build.out / "target")
        assert rootfs_build.target("/lib/ld-linux-aarch64.so.1") in files
        assert rootfs_build.target("/lib/libc.so.6") in files
        assert "dynamically linked" in files[rootfs_build.target("/bin/busybox")]
        vm = start(with_kernel(rootfs_build, aarch64_image, tmp_path / "aarch64"), "--net", "none")
        try:
            vm.wait_for_shell(timeout=120)
            assert vm.run("uname -m") == ("aarch64", 0)
            assert {"ld-linux-aarch64.so.1", "libc.so.6"} <= set(vm.run("ls /lib")[0].split())
        finally:
            vm.kill()
    finally:
        rootfs_build.set_config(TR_ARCH_X86_64="y", TR_STATIC="y", TR_PACKAGE_BUSYBOX_CONFIG_DEFCONFIG="y")
        ran = steps_run(rootfs_build.make().stdout)
    assert {("busybox", "Building"), ("tinyinit", "Building")} <= ran, ran
    assert_all_of("x86_64", rootfs_build.out / "target")
    assert not rootfs_build.target("/lib/ld-linux-aarch64.so.1").exists()


@pytest.mark.parametrize("arch,compiler,package", [
    ("aarch64", "aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"),
    ("riscv64", "riscv64-linux-gnu-gcc", "gcc-riscv64-linux-gnu")])
def test_missing_cross_compiler_names_its_package(tmp_path, arch, compiler, package):
    b = Build(tmp_path / "out", IMAGE_DL_DIR)
    b.make(f"qemu_{arch}_virt_defconfig")
    result = b.make(check=False, env={"PATH": path_without(compiler, tmp_path / "bin")})
    assert result.returncode != 0
    (line,) = error_lines(result.stdout)
    assert f"{compiler} (Debian package {package})" in line and "install-host-deps" in line, line
    assert not (b.out / "build/linux-6.1-debian").exists()


def test_what_the_virt_boards_lack_is_not_offered(tmp_path):
    """musl (Debian's musl-gcc is native) and the VGA console are x86_64's;
    the kernel image compression too (arm64's and riscv's Image is not
    compressed)."""
    b = Build(tmp_path / "out", IMAGE_DL_DIR)
    b.make("qemu_aarch64_virt_defconfig")
    b.set_config(TR_TOOLCHAIN_MUSL="y", TR_CONSOLE_GRAPHICAL="y", TR_PACKAGE_LINUX_COMPRESSION_XZ="y",
                 TR_QEMU_MACHINE_PC="y")
    b.make("olddefconfig")
    config = b.config()
    assert (config["TR_TOOLCHAIN_GLIBC"], config["TR_CONSOLE_SERIAL"], config["TR_QEMU_MACHINE_VIRT"]) == \
        ("y", "y", "y")
    assert "TR_PACKAGE_LINUX_COMPRESSION_XZ" not in config


@pytest.mark.parametrize("arch", ARCHES)
def test_architecture_defconfig_kernel_configures(tmp_path, arch):
    """The kernel's own defconfig base (the tutorial's recipe) on the virt
    boards: configured and checked (pvpanic-pci, the board's console). Built
    and booted by make check-slow (below)."""
    b = Build(tmp_path / "out", IMAGE_DL_DIR)
    b.make(f"qemu_{arch}_virt_defconfig")
    b.set_config(TR_PACKAGE_LINUX_CONFIG_DEFCONFIG="y")
    b.make("linux-configure")
    config = (b.out / "build/linux-6.1-debian/src/.config").read_text().splitlines()
    console = {"aarch64": "CONFIG_SERIAL_AMBA_PL011_CONSOLE=y", "riscv64": "CONFIG_SERIAL_8250_CONSOLE=y"}[arch]
    assert {"CONFIG_PVPANIC_PCI=y", console, "CONFIG_VIRTIO_NET=y"} <= set(config)


# The kernel's defconfig builds the drivers of many boards: make check-slow.
@pytest.mark.slow
@pytest.mark.parametrize("arch", ARCHES)
def test_architecture_defconfig_kernel_builds_and_boots(tmp_path, arch):
    """The tutorial's recipe on the virt boards, as a user makes it: the
    board's defconfig with the kernel's own defconfig as the base, built
    whole; it boots to a prompt of its architecture, poweroff ends QEMU with
    0 and a panic with 1."""
    b = Build(tmp_path / "out", IMAGE_DL_DIR)
    b.make(f"qemu_{arch}_virt_defconfig")
    b.set_config(TR_PACKAGE_LINUX_CONFIG_DEFCONFIG="y")
    b.make_all(timeout=4 * 3600)
    vm = start(b.out, "--net", "none")
    try:
        vm.wait_for_shell(timeout=300)
        assert vm.run("uname -m") == (arch, 0)
        assert vm.run("readlink /proc/1/exe") == ("/sbin/tinyinit", 0)
        vm.console.sendline("poweroff")
        assert vm.wait_exit(timeout=120) == 0
    finally:
        vm.kill()
    assert_a_panic_exits_1(b.out)
