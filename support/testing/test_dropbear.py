"""Dropbear: the package built statically into the root filesystem (links,
init script, authorized keys, host keys, errors), runtime choices that
recompile nothing, and a login over SSH into the VM, booted with the default
image's kernel."""
import os
import re
import shutil
import socket
import subprocess
import time

import pexpect
import pytest

from conftest import IMAGE_DL_DIR, TOPDIR, Build, session_build_dir, with_kernel
from test_packages import steps_run
from vm import QEMU, VM

VERSION = "2022.83"


def run(*cmd, **kwargs):
    return subprocess.run(cmd, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)


@pytest.fixture(scope="module")
def user_key(tmp_path_factory):
    """A fresh ed25519 key pair of the test's (path of the private half)."""
    if not shutil.which("ssh-keygen"):
        pytest.skip("ssh-keygen is not installed (Debian's openssh-client)")
    key = tmp_path_factory.mktemp("ssh") / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test@tinyroot-tests",
                    "-f", str(key)], check=True)
    return key


@pytest.fixture(scope="module")
def dropbear_build(tmp_path_factory, user_key):
    """The default root filesystem (no kernel), static glibc, with Dropbear
    and the test's public key. Tests that change its configuration put it
    back."""
    b = Build(session_build_dir(tmp_path_factory, "dropbear"), IMAGE_DL_DIR, ccache=True)
    b.make("qemu_x86_64_defconfig")
    b.set_config(TR_PACKAGE_LINUX="n", TR_TOOLCHAIN_GLIBC="y", TR_STATIC="y", TR_PACKAGE_DROPBEAR="y",
                 TR_PACKAGE_DROPBEAR_FIRST_BOOT_KEYS="y",
                 TR_PACKAGE_DROPBEAR_AUTHORIZED_KEYS=f'"{user_key}.pub"')
    b.make_all()
    return b


def package_dir(build):
    return build.package_dir("dropbear", VERSION)


def cpio_modes(build):
    """path -> mode string (drwx------) of each entry of the initramfs."""
    data = build.initramfs_cpio()
    listing = subprocess.run(["cpio", "-tv", "--quiet"], input=data, check=True,
                             stdout=subprocess.PIPE).stdout.decode()
    return {line.split()[8]: line.split()[0] for line in listing.splitlines()}


def objects_mtimes(build):
    return {p: p.stat().st_mtime_ns for p in (package_dir(build) / "src").rglob("*.o")}


def test_static_multi_call_binary_and_its_links(dropbear_build):
    multi = dropbear_build.target("/usr/bin/dropbearmulti")
    assert "statically linked" in run("file", str(multi)).stdout
    assert "INTERP" not in run("readelf", "-l", str(multi)).stdout
    links = {"/usr/sbin/dropbear": "../bin/dropbearmulti", "/usr/bin/dropbearkey": "dropbearmulti",
             "/usr/bin/dbclient": "dropbearmulti", "/usr/bin/scp": "dropbearmulti"}
    for link, target in links.items():
        assert dropbear_build.target(link).readlink().as_posix() == target
    # Reproducible: the build directory is nowhere in the binary.
    assert str(dropbear_build.out) not in run("strings", "-a", str(multi)).stdout
    assert f"Dropbear server v{VERSION} " in run(str(multi), "dropbear", "-h").stdout
    # Compiled without password logins: -s (refuse them) is not even an option.
    assert "Invalid option -s" in run(str(multi), "dropbear", "-s").stdout


def test_init_script_and_authorized_keys_in_the_image(dropbear_build, user_key):
    script = dropbear_build.target("/etc/init.d/S50dropbear")
    assert script.stat().st_mode & 0o111
    keys = dropbear_build.target("/root/.ssh/authorized_keys")
    assert keys.read_text() == user_key.with_suffix(".pub").read_text()
    modes = cpio_modes(dropbear_build)
    assert modes["root"] == "drwx------" and modes["root/.ssh"] == "drwx------"
    assert modes["root/.ssh/authorized_keys"] == "-rw-------"
    assert modes["etc/init.d/S50dropbear"] == "-rwxr-xr-x"
    images = dropbear_build.out / "images"
    assert "QEMU_SSH=y\nQEMU_SSH_HOST_KEYS=first-boot\n" in (images / "qemu.conf").read_text()
    assert not (images / "known_hosts").exists()
    # host keys are made at boot, in memory: / may be read-only
    assert dropbear_build.target("/etc/dropbear").readlink().as_posix() == "../run/dropbear"


def test_runtime_choices_recompile_nothing(dropbear_build, user_key, tmp_path):
    """The authorized keys and the host key mode change installed files only:
    the objects stay; an edit of the key file is installed too."""
    objects = objects_mtimes(dropbear_build)
    assert objects
    other = tmp_path / "other.pub"
    other.write_text(user_key.with_suffix(".pub").read_text() + "ssh-ed25519 AAAAC3Nza... second\n")
    dropbear_build.set_config(TR_PACKAGE_DROPBEAR_AUTHORIZED_KEYS=f'"{other}"')
    try:
        ran = steps_run(dropbear_build.make().stdout)
        assert ("dropbear", "Installing") in ran
        assert dropbear_build.target("/root/.ssh/authorized_keys").read_text() == other.read_text()
        other.write_text("ssh-ed25519 AAAAC3Nza... edited\n")
        assert ("dropbear", "Installing") in steps_run(dropbear_build.make().stdout)
        assert dropbear_build.target("/root/.ssh/authorized_keys").read_text() == other.read_text()
        assert "same command line and sysroot as last time: kept" in \
            (package_dir(dropbear_build) / "configure.log").read_text()
        assert objects_mtimes(dropbear_build) == objects
    finally:
        dropbear_build.set_config(TR_PACKAGE_DROPBEAR_AUTHORIZED_KEYS=f'"{user_key}.pub"')
        dropbear_build.make()


def test_build_time_host_key_and_known_hosts(dropbear_build):
    objects = objects_mtimes(dropbear_build)
    dropbear_build.set_config(TR_PACKAGE_DROPBEAR_BUILD_TIME_KEYS="y")
    try:
        dropbear_build.make()
        images = dropbear_build.out / "images"
        key = dropbear_build.target("/etc/dropbear/dropbear_ed25519_host_key")
        assert key.stat().st_mode & 0o777 == 0o600
        known = (images / "known_hosts").read_text()
        assert re.fullmatch(r"tinyroot ssh-ed25519 AAAA\S+\n", known), known
        assert "QEMU_SSH_HOST_KEYS=build-time\n" in (images / "qemu.conf").read_text()
        # Made once per output directory: a rebuild keeps it.
        dropbear_build.make("dropbear-rebuild")
        dropbear_build.make()
        assert (images / "known_hosts").read_text() == known
        assert "nothing to do" in dropbear_build.make().stdout
        assert objects_mtimes(dropbear_build) == objects
    finally:
        dropbear_build.set_config(TR_PACKAGE_DROPBEAR_FIRST_BOOT_KEYS="y")
        dropbear_build.make()
    assert not (dropbear_build.out / "images" / "known_hosts").exists()


def test_no_authorized_keys_file_installs_none(dropbear_build, user_key):
    dropbear_build.set_config(TR_PACKAGE_DROPBEAR_AUTHORIZED_KEYS='""')
    try:
        dropbear_build.make()
        assert not dropbear_build.target("/root/.ssh").exists()
    finally:
        dropbear_build.set_config(TR_PACKAGE_DROPBEAR_AUTHORIZED_KEYS=f'"{user_key}.pub"')
        dropbear_build.make()


@pytest.mark.parametrize("problem", ["missing", "directory", "private"])
def test_bad_authorized_keys_file_is_one_line(dropbear_build, user_key, tmp_path, problem):
    path = {"missing": tmp_path / "nonexistent.pub", "directory": tmp_path, "private": user_key}[problem]
    dropbear_build.set_config(TR_PACKAGE_DROPBEAR_AUTHORIZED_KEYS=f'"{path}"')
    try:
        result = dropbear_build.make(check=False)
        assert result.returncode != 0
        errors = [line for line in result.stdout.splitlines()
                  if line.startswith("tinyroot: TR_PACKAGE_DROPBEAR_AUTHORIZED_KEYS: ")]
        assert len(errors) == 1 and str(path) in errors[0], result.stdout
        assert ("private key" in errors[0]) == (problem == "private")
    finally:
        dropbear_build.set_config(TR_PACKAGE_DROPBEAR_AUTHORIZED_KEYS=f'"{user_key}.pub"')
        dropbear_build.make()


@pytest.fixture(scope="module")
def second_build(tmp_path_factory, dropbear_build):
    """Dropbear alone, with the same configuration, in another directory."""
    b = Build(tmp_path_factory.mktemp("dropbear-second") / "out", IMAGE_DL_DIR)
    b.config_path.parent.mkdir(parents=True)
    shutil.copy(dropbear_build.config_path, b.config_path)
    b.make("dropbear")
    return b


# second_build compiles Dropbear for real in another output directory (about
# two minutes): make check-slow.
@pytest.mark.slow
def test_same_bytes_in_another_output_directory(dropbear_build, second_build):
    built = "src/dropbearmulti"
    assert (package_dir(second_build) / built).read_bytes() == \
        (package_dir(dropbear_build) / built).read_bytes()


@pytest.mark.slow
def test_compiler_flags_change_starts_from_a_clean_tree(second_build):
    """The other side of kept objects: another configure command line (here
    other CFLAGS) removes the objects before configure runs again."""
    assert objects_mtimes(second_build)
    # dropbear-reconfigure, without the build after it
    (package_dir(second_build) / ".stamp_configured").unlink()
    second_build.make("dropbear-configure", "TARGET_CFLAGS=-Os -DTINYROOT_TEST_FLAG")
    assert "-DTINYROOT_TEST_FLAG" in (package_dir(second_build) / "src" / "Makefile").read_text()
    assert not objects_mtimes(second_build)


# ---------------------------------------------------------------------------
# In the VM: the default image's kernel (it has networking) with this
# initramfs, QEMU's user network restricted to the forwarded port.

SSH_OPTIONS = ["-o", "BatchMode=yes", "-o", "LogLevel=ERROR"]
NO_HOST_KEY_CHECK = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]


def served_host_key(port):
    """What ssh-keygen -l says of the ed25519 host key that the server on
    127.0.0.1:port shows (its fingerprint among it)."""
    scanned = run("ssh-keyscan", "-p", str(port), "-t", "ed25519", "127.0.0.1").stdout
    return subprocess.run(["ssh-keygen", "-l", "-f", "-"], input=scanned, text=True,
                          stdout=subprocess.PIPE, check=True).stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SSHVM:
    """The initramfs of `build` booted with `kernel_build`'s kernel, port 22
    forwarded from a free port of 127.0.0.1."""

    def __init__(self, kernel_build, build, key):
        self.key, self.port = key, free_port()
        self.vm = VM([QEMU, "-accel", "tcg", "-M", "pc", "-m", "256", "-nographic", "-no-reboot",
                      "-kernel", str(kernel_build.out / "images" / "bzImage"),
                      "-initrd", str(build.out / "images" / build.qemu_conf()["QEMU_INITRD"]),
                      "-append", "console=ttyS0",
                      "-netdev", f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{self.port}-:22",
                      "-device", "virtio-net-pci,netdev=n0,romfile="])

    def ssh(self, *command, options=NO_HOST_KEY_CHECK, connect_timeout=10):
        return subprocess.run(["ssh", "-i", str(self.key), "-p", str(self.port), *SSH_OPTIONS, *options,
                               "-o", f"ConnectTimeout={connect_timeout}", "root@127.0.0.1", *command],
                              text=True, timeout=60, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def drain_console(self, seconds):
        """Reads what the console printed meanwhile (a console nobody reads
        fills up and stalls the guest)."""
        self.vm.console.expect([pexpect.TIMEOUT, pexpect.EOF], timeout=seconds)

    def wait_for_ssh(self, options=NO_HOST_KEY_CHECK, timeout=90):
        """Seconds from QEMU's start until a login ran a command."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # Before the guest is up, QEMU accepts the connection and nothing answers.
            if self.ssh("true", options=options, connect_timeout=2).returncode == 0:
                return time.monotonic() - self.vm.started
            self.drain_console(0.2)
        raise AssertionError(f"no SSH login within {timeout} s:\n{self.vm.output[-3000:]}")

    def poweroff(self):
        self.ssh("poweroff")
        assert self.vm.wait_exit() == 0


@pytest.fixture
def net_kernel(default_image):
    """The default image, whose kernel boots the VMs here."""
    if default_image.qemu_conf().get("QEMU_NET_CAPABLE") != "y":
        pytest.skip("the default image's kernel has no networking")
    if not shutil.which("ssh"):
        pytest.skip("ssh is not installed (Debian's openssh-client)")
    return default_image


@pytest.fixture
def ssh_vm(net_kernel, dropbear_build, user_key):
    machine = SSHVM(net_kernel, dropbear_build, user_key)
    yield machine
    machine.vm.kill()


def test_login_with_key_and_no_password(ssh_vm, net_kernel):
    seconds = ssh_vm.wait_for_ssh()
    print(f"QEMU start to the first SSH login: {seconds:.2f} s")
    result = ssh_vm.ssh("uname", "-r")
    assert (result.stdout.strip(), result.returncode) == (net_kernel.qemu_conf()["KERNEL_RELEASE"], 0)
    # The host key made at boot is the one the server shows.
    log = ssh_vm.ssh("cat", "/var/log/dropbear.log").stdout
    made = re.search(r"^Fingerprint: (SHA256:\S+)$", log, re.M)[1]
    assert made in served_host_key(ssh_vm.port)
    # A terminal: the kernel's ptys (devpts at /dev/pts).
    assert ssh_vm.ssh("tty", options=NO_HOST_KEY_CHECK + ["-tt"]).stdout.startswith("/dev/pts/")
    # Debian's fix for Terrapin (CVE-2023-48795, 0001-*.patch): strict key exchange.
    assert "kex-strict-s-v00@openssh.com" in ssh_vm.ssh("true", options=NO_HOST_KEY_CHECK + ["-vv"]).stderr
    # The server offers public keys only.
    refused = ssh_vm.ssh("true", options=NO_HOST_KEY_CHECK + ["-o", "PubkeyAuthentication=no"])
    assert refused.returncode == 255 and "Permission denied (publickey)" in refused.stderr
    ssh_vm.poweroff()


def test_build_time_host_key_is_checked_with_known_hosts(dropbear_build, net_kernel, user_key):
    dropbear_build.set_config(TR_PACKAGE_DROPBEAR_BUILD_TIME_KEYS="y")
    machine = None
    try:
        dropbear_build.make()
        strict = ["-o", "StrictHostKeyChecking=yes", "-o", "HostKeyAlias=tinyroot",
                  "-o", f"UserKnownHostsFile={dropbear_build.out / 'images' / 'known_hosts'}"]
        machine = SSHVM(net_kernel, dropbear_build, user_key)
        machine.wait_for_ssh(options=strict)
        log = machine.ssh("cat", "/var/log/dropbear.log", options=strict).stdout
        assert "Running in background" in log and "Generating" not in log
        machine.poweroff()
    finally:
        if machine:
            machine.vm.kill()
        dropbear_build.set_config(TR_PACKAGE_DROPBEAR_FIRST_BOOT_KEYS="y")
        dropbear_build.make()


def test_start_sh_ssh_with_a_key_given_at_boot(dropbear_build, net_kernel, tmp_path):
    """start.sh --ssh-command with a key the image was not built with: it
    goes in as a cpio appended to the initramfs. The command's output and
    exit status come back; the VM powers off."""
    out = with_kernel(dropbear_build, net_kernel, tmp_path / "out")
    other_key = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other_key)], check=True)
    start = [str(TOPDIR / "board/qemu/start.sh"), "--output", str(out), "--accel", "tcg",
             "--net", "restricted", "--ssh-key", str(other_key)]
    env = dict(os.environ, HOME=str(tmp_path))
    result = subprocess.run([*start, "--ssh-command", "uname -r; exit 3"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=240)
    assert result.returncode == 3, result.stderr
    assert result.stdout.strip() == net_kernel.qemu_conf()["KERNEL_RELEASE"]
    assert "the VM made its host key at boot, so ssh cannot check it" in result.stderr
    assert "reboot: Power down" in (out / "ssh-console.log").read_text()
