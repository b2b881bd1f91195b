"""The default image is a system to live in: every applet of BusyBox's own
defconfig, the tools a user reaches for first, and a network brought up by
DHCP in the background, which never holds the prompt back."""
import subprocess
import time

from conftest import IMAGE_DL_DIR, TOPDIR
from vm import VM

START = str(TOPDIR / "board/qemu/start.sh")


def start(build, *args):
    return VM([START, "--output", str(build.out), "--accel", "tcg", *args])


def defconfig_applets(build, scratch):
    """The applets of BusyBox's own defconfig, from its tarball alone: its
    defconfig and the link list it derives, with no tinyroot fragment."""
    version = build.config()["TR_PACKAGE_BUSYBOX_VERSION"]
    scratch.mkdir()
    subprocess.run(["tar", "-xf", str(IMAGE_DL_DIR / f"busybox-{version}.tar.bz2"), "-C", str(scratch)],
                   check=True)
    source = scratch / f"busybox-{version}"
    subprocess.run(["make", "-s", "-C", str(source), "defconfig", "busybox.links"], check=True,
                   stdout=subprocess.DEVNULL)
    return {line.rsplit("/", 1)[-1] for line in (source / "busybox.links").read_text().split()}


def test_default_image_has_every_applet_of_busybox_defconfig(default_image, tmp_path):
    expected = defconfig_applets(default_image, tmp_path / "busybox-defconfig")
    vm = start(default_image, "--net", "none")
    try:
        vm.wait_for_shell()
        listed, status = vm.run("busybox --list")
        assert status == 0
        assert set(listed.split()) == expected
        # A few of them for real, with the options the small set lacked.
        # (not /: BusyBox's df skips the initramfs's rootfs, FEATURE_SKIP_ROOTFS)
        out, status = vm.run("df -h /tmp")
        header, mount = out.splitlines()
        assert status == 0 and header.split()[:2] == ["Filesystem", "Size"], out
        assert mount.split()[0] == "tmpfs" and mount.split()[-1] == "/tmp", out
        assert vm.run("printf abcdefgh | head -c 4") == ("abcd", 0)
        assert vm.run("printf 'a\\nb\\nc\\nd\\n' | head -3 | tr '\\n' ,") == ("a,b,c,", 0)
        assert vm.run("printf AB | od -An -tx1") == ("41 42", 0)
        assert vm.run("which od") == ("/usr/bin/od", 0)
        out, status = vm.run("top -b -n1 | head -1")
        assert status == 0 and out.startswith("Mem:"), out
        out, status = vm.run("uptime")
        assert status == 0 and "load average" in out, out
        # vi: insert a line, write, quit.
        vm.console.sendline("vi /tmp/written-by-vi")
        time.sleep(2)
        vm.console.send("ihello from vi\x1b")
        time.sleep(0.5)
        vm.console.send(":wq\r")
        assert vm.run("cat /tmp/written-by-vi", timeout=20) == ("hello from vi", 0)
        # The root directory is the archive's own entry, not a world-writable default.
        assert vm.run("stat -c %a /") == ("755", 0)
        # su works only with users and groups in the kernel (MULTIUSER).
        assert vm.run("su -s /bin/sh -c 'id -u' root") == ("0", 0)
    finally:
        vm.kill()


def test_dhcp_configures_eth0(default_image):
    vm = start(default_image, "--net", "restricted")
    try:
        vm.wait_for_shell()
        assert "inet 10.0.2.15/24 " in vm.wait_for_dhcp()
        assert vm.run("test -f /etc/resolv.conf")[1] == 0
        assert vm.run("ip -o link show lo | grep -c UP") == ("1", 0)
        # A restricted network's DHCP offers no router and no name server:
        # the script's handling of them, with the values QEMU's open user
        # network offers.
        lease = "interface=eth0 ip=10.0.2.15 mask=24 router=10.0.2.2 dns=10.0.2.3"
        assert vm.run(f"{lease} /usr/share/udhcpc/default.script bound")[1] == 0
        out, _ = vm.run("ip route | grep ^default")
        assert out.split() == ["default", "via", "10.0.2.2", "dev", "eth0"], out
        assert vm.run("cat /etc/resolv.conf") == ("nameserver 10.0.2.3", 0)
    finally:
        vm.kill()


def test_prompt_when_no_dhcp_server_answers(default_image):
    """A NIC on a hub with nothing else on it: DHCP never answers. The shell
    comes up anyway, and the console says what happened."""
    vm = start(default_image, "--net", "none", "--",
               "-netdev", "hubport,hubid=0,id=lonely", "-device", "virtio-net-pci,netdev=lonely,romfile=")
    try:
        vm.wait_for_shell(timeout=30)
        assert vm.run("ls /sys/class/net | tr '\\n' ' '") == ("eth0 lo", 0)
        vm.console.expect("network: no DHCP answer on eth0; still trying in the background", timeout=30)
        assert vm.run("echo still-here") == ("still-here", 0)
        out, _ = vm.run("ip -4 -o addr show dev eth0")
        assert out == "", out
    finally:
        vm.kill()
