"""The launcher's network and shared folder for real: the default image
(networking on) booted through board/qemu/start.sh with --guestfwd,
--forward, --share and --net none, and the menu's settings reaching
qemu.conf. Every boot here is restricted or has no network device, so
nothing leaves the machine; the QEMU command lines themselves are tested
in launcher/test_launcher.py."""
import functools
import hashlib
import http.client
import http.server
import os
import pwd
import shutil
import socket
import stat
import tempfile
import threading
import time
from pathlib import Path

import pytest

from conftest import TOPDIR, QuietHandler
from test_packages import steps_run
from vm import VM

START = str(TOPDIR / "board/qemu/start.sh")


def start(out, *args, as_user=()):
    """start.sh on out's images; as_user: e.g. ("runuser", "-u", "nobody", "--")."""
    return VM([*as_user, START, "--output", str(out), "--accel", "tcg", *map(str, args)])


@pytest.fixture
def net_image(default_image):
    """The default image, which must have networking and the shared folder."""
    conf = default_image.qemu_conf()
    assert conf.get("QEMU_NET_CAPABLE") == "y", "the default kernel has no virtio-net"
    assert conf.get("QEMU_SHARE_CAPABLE") == "y", "the default kernel has no 9p over virtio"
    return default_image


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def http_server(tmp_path):
    """An HTTP server on the host's 127.0.0.1; yields its directory and port."""
    root = tmp_path / "www"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(QuietHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, server.server_address[1]
    server.shutdown()
    server.server_close()


def poweroff(vm):
    vm.console.sendline("poweroff")
    assert vm.wait_exit() == 0


# q35 too: PCI Express, qboot and pci=noacpi (the NIC on MSI-X) there as well.
@pytest.mark.parametrize("machine", ["pc", "q35", "microvm"])
def test_restricted_vm_fetches_from_a_host_server_through_guestfwd(net_image, http_server, machine):
    root, port = http_server
    blob = os.urandom(300_000)
    (root / "blob").write_bytes(blob)
    vm = start(net_image.out, "--machine", machine, "--net", "restricted", "--guestfwd", f"8080:{port}")
    try:
        vm.wait_for_shell()
        vm.wait_for_dhcp()
        # Twice: each connection of the VM gets its own to the server.
        for _ in range(2):
            out, status = vm.run("wget -q -O /tmp/blob http://10.0.2.100:8080/blob && sha256sum /tmp/blob",
                                 timeout=60)
            assert status == 0, out
            assert out.split()[0] == hashlib.sha256(blob).hexdigest()
        # Restricted: the host itself (10.0.2.2 is its loopback) is out of reach.
        out, status = vm.run(f"wget -q -T 5 -O /dev/null http://10.0.2.2:{port}/blob", timeout=30)
        assert status != 0, out
        poweroff(vm)
    finally:
        vm.kill()


def http_get(port, path, timeout=60):
    """The body of http://127.0.0.1:port/path, retried until the VM serves it.
    http.client, unlike urllib, never goes through a proxy."""
    deadline = time.monotonic() + timeout
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", path)
            return connection.getresponse().read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
        finally:
            connection.close()


def test_forward_reaches_a_server_in_the_vm(net_image):
    port = free_port()
    vm = start(net_image.out, "--net", "restricted", "--forward", f"tcp:{port}:5000")
    try:
        vm.wait_for_shell()
        vm.wait_for_dhcp()
        assert vm.run("mkdir -p /tmp/www && echo served-by-the-vm >/tmp/www/index.html"
                      " && httpd -p 5000 -h /tmp/www")[1] == 0
        assert http_get(port, "/index.html") == "served-by-the-vm\n"
        poweroff(vm)
    finally:
        vm.kill()


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("runuser"),
                    reason="needs root and runuser, to run QEMU as another user")
@pytest.mark.parametrize("machine", ["pc", "microvm"])
def test_share_both_ways_as_an_ordinary_user(net_image, machine):
    """QEMU run by nobody: a file made on the host is read in the VM, and
    what the VM writes is on the host, owned by nobody, with its mode."""
    nobody = pwd.getpwnam("nobody")
    work = Path(tempfile.mkdtemp(prefix="tr-share-"))  # pytest's tmp is root's alone
    vm = None
    try:
        work.chmod(0o755)
        out = work / "out"
        shutil.copytree(net_image.out / "images", out / "images")
        share = work / "share"
        share.mkdir()
        (share / "from-host").write_text("made on the host\n")
        os.chown(share, nobody.pw_uid, nobody.pw_gid)
        vm = start(out, "--machine", machine, "--net", "none", "--share", share,
                   as_user=("runuser", "-u", "nobody", "--"))
        vm.wait_for_shell()
        assert vm.run("cat /mnt/host/from-host") == ("made on the host", 0)
        assert vm.run("echo made in the VM >/mnt/host/from-vm && chmod 640 /mnt/host/from-vm"
                      " && mkdir /mnt/host/dir && echo x >/mnt/host/dir/file")[1] == 0
        poweroff(vm)
        made = share / "from-vm"
        assert made.read_text() == "made in the VM\n"
        assert stat.S_IMODE(made.stat().st_mode) == 0o640
        for path in (made, share / "dir", share / "dir" / "file"):
            assert path.stat().st_uid == nobody.pw_uid, path
    finally:
        if vm is not None:
            vm.kill()
        shutil.rmtree(work)


def test_no_network_device_with_net_none(net_image):
    vm = start(net_image.out, "--net", "none")
    try:
        vm.wait_for_shell()
        assert vm.run("cd /sys/class/net && echo *") == ("lo", 0)
        poweroff(vm)
    finally:
        vm.kill()


def test_make_run_passes_the_network_options(net_image, tmp_path):
    port = free_port()
    result = net_image.make("run", f"RUN_ARGS=--dry-run --accel tcg --net restricted --forward {port}:22"
                                   f" --share {tmp_path}")
    argv = result.stdout.splitlines()
    assert f"user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-:22" in argv
    assert f"local,id=share0,path={tmp_path},security_model=none" in argv


def test_menu_settings_reach_qemu_conf_alone(build):
    """The QEMU launcher menu's network settings, and the console: a change
    rewrites qemu.conf and rebuilds nothing else."""
    build.make()
    assert build.qemu_conf()["QEMU_NET"] == "user"
    build.set_config(TR_QEMU_NET_RESTRICTED="y", TR_QEMU_FORWARDS='" 2222:22  udp:5353:53"')
    assert steps_run(build.make().stdout) == {("rootfs", "Packing")}
    conf = build.qemu_conf()
    assert (conf["QEMU_NET"], conf["QEMU_FORWARDS"]) == ("restricted", "2222:22 udp:5353:53")
    # No network, no forwards (the menu hides them).
    build.set_config(TR_QEMU_NET_NONE="y")
    assert steps_run(build.make().stdout) == {("rootfs", "Packing")}
    conf = build.qemu_conf()
    assert (conf["QEMU_NET"], conf["QEMU_FORWARDS"]) == ("none", "")
    # The console (System → Console), which start.sh takes as its default.
    assert conf["QEMU_CONSOLE"] == "serial"
    for console in ("graphical", "both"):
        build.set_config(**{f"TR_CONSOLE_{console.upper()}": "y"})
        assert steps_run(build.make().stdout) == {("rootfs", "Packing")}
        assert build.qemu_conf()["QEMU_CONSOLE"] == console
