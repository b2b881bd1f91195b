"""toybox as the userland: its commands, a link each, with BusyBox for the
shell (ash) and what toybox lacks; booted with the default image's kernel."""
import os
import subprocess

import pytest

from conftest import IMAGE_DL_DIR, TOPDIR, Build, error_lines, session_build_dir, with_kernel
from vm import VM

START = str(TOPDIR / "board/qemu/start.sh")
BIN_DIRS = ("bin", "sbin", "usr/bin", "usr/sbin")


def toybox_build(out, **symbols):
    """qemu_x86_64_toybox_defconfig without the kernel, built through the
    session's compiler cache."""
    b = Build(out, IMAGE_DL_DIR, ccache=True)
    b.make("qemu_x86_64_toybox_defconfig")
    b.set_config(TR_PACKAGE_LINUX="n", **symbols)
    b.make_all()
    return b


@pytest.fixture(scope="module")
def toybox_image(tmp_path_factory):
    return toybox_build(session_build_dir(tmp_path_factory, "toybox"))


def links_to(target_dir, binary):
    """The paths (bin/ls, ...) of the links in the bin directories that
    resolve to /bin/<binary>, in a target directory on the host."""
    found = set()
    for d in BIN_DIRS:
        for name in os.listdir(target_dir / d) if (target_dir / d).is_dir() else ():
            path = target_dir / d / name
            if path.is_symlink() and os.path.realpath(path) == str(target_dir / "bin" / binary):
                found.add(f"{d}/{name}")
    return found


def start(out, *args):
    return VM([START, "--output", str(out), "--accel", "tcg", *args])


def test_toybox_image_boots_and_its_links_are_toybox_long(toybox_image, default_image, tmp_path):
    vm = start(with_kernel(toybox_image, default_image, tmp_path / "out"), "--net", "restricted")
    try:
        vm.wait_for_shell()
        assert vm.run("readlink /proc/1/exe") == ("/sbin/tinyinit", 0)
        # BusyBox's udhcpc and ip, run by the boot scripts as with BusyBox alone.
        vm.wait_for_dhcp()
        long_list, status = vm.run("toybox --long")
        assert status == 0
        toybox_paths = set(long_list.split())
        assert len(toybox_paths) > 200, long_list
        # Every link in the bin directories, and what it resolves to.
        listing, status = vm.run("for f in /bin/* /sbin/* /usr/bin/* /usr/sbin/*; do"
                                 " [ -L $f ] && echo ${f#/} $(readlink -f $f); done")
        assert status == 0
        resolved = dict(line.split() for line in listing.splitlines())
        assert {p for p, t in resolved.items() if t == "/bin/toybox"} == toybox_paths
        # BusyBox has the rest, and none of toybox's commands under any path.
        busybox_paths = {p for p, t in resolved.items() if t == "/bin/busybox"}
        assert busybox_paths and set(resolved.values()) == {"/bin/toybox", "/bin/busybox"}
        toybox_names = {p.rsplit("/", 1)[-1] for p in toybox_paths}
        assert not {p.rsplit("/", 1)[-1] for p in busybox_paths} & toybox_names
        # The shell is BusyBox's ash; these are toybox's, those BusyBox's.
        assert vm.run("readlink /bin/sh; readlink /proc/$$/exe") == ("busybox\n/bin/busybox", 0)
        for command in ("ls", "ps", "df", "grep", "sed", "tar", "mount", "poweroff"):
            assert vm.run(f"readlink -f $(which {command})") == ("/bin/toybox", 0), command
        for command in ("vi", "tr", "awk", "ip", "udhcpc", "getty"):
            assert vm.run(f"readlink -f $(which {command})") == ("/bin/busybox", 0), command
        # A few of toybox's commands for real.
        out, status = vm.run("ls -l /bin/toybox")
        assert status == 0 and out.startswith("-rwxr-xr-x") and out.endswith("/bin/toybox"), out
        out, status = vm.run("ps -e -o pid,comm")
        assert status == 0 and out.splitlines()[0].split() == ["PID", "COMM"], out
        assert ["1", "tinyinit"] in [line.split() for line in out.splitlines()], out
        out, status = vm.run("df -h /")
        assert status == 0 and out.split()[:2] == ["Filesystem", "Size"], out
        assert vm.run("printf 'a1\\nb\\na2\\n' | grep -c ^a") == ("2", 0)
        assert vm.run("echo hello toybox | sed 's/hello/goodbye/'") == ("goodbye toybox", 0)
        assert vm.run("mkdir -p /tmp/t/d && echo round-trip >/tmp/t/d/f && tar -cf /tmp/t.tar -C /tmp/t d"
                      " && rm -r /tmp/t && mkdir /tmp/t && tar -xf /tmp/t.tar -C /tmp/t"
                      " && cat /tmp/t/d/f && tar -tf /tmp/t.tar") == ("round-trip\nd/\nd/f", 0)
        vm.console.sendline("poweroff")
        assert vm.wait_exit() == 0
    finally:
        vm.kill()


# A build of toybox and BusyBox with musl, compiled for real (about three
# minutes): make check-slow.
@pytest.mark.slow
def test_toybox_with_musl_boots_to_its_commands(toybox_image, default_image, tmp_path):
    b = toybox_build(tmp_path / "musl", TR_TOOLCHAIN_MUSL="y")
    binary = b.target("/bin/toybox")
    kind = subprocess.run(["file", "-b", str(binary)], text=True, check=True, stdout=subprocess.PIPE).stdout
    assert "statically linked" in kind, kind
    # musl's toybox is another binary, with the same commands but those
    # that need crypt(), which Debian's musl lacks.
    assert binary.read_bytes() != toybox_image.target("/bin/toybox").read_bytes()
    glibc_links = links_to(toybox_image.out / "target", "toybox")
    assert glibc_links - links_to(b.out / "target", "toybox") == \
        {"bin/login", "bin/su", "usr/bin/passwd", "usr/bin/mkpasswd"}
    out = with_kernel(b, default_image, tmp_path / "out")
    result = subprocess.run([START, "--output", str(out), "--accel", "tcg", "--net", "none",
                             "--exec", "toybox --long | wc -w; ls -l /bin/toybox; exit 4"],
                            text=True, timeout=120, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert result.returncode == 4, result.stdout
    count = str(len(links_to(b.out / "target", "toybox")))
    assert count in result.stdout.split() and "/bin/toybox" in result.stdout, result.stdout
    # toybox-update-config: refused without a custom file; with one, the
    # configuration goes back to it whole.
    refused = b.make("toybox-update-config", check=False)
    assert refused.returncode != 0
    assert any("toybox-update-config needs toybox configuration = custom config file" in line
               for line in error_lines(refused.stdout)), refused.stdout
    config = b.package_dir("toybox", "0.8.9") / "src" / ".config"
    custom = tmp_path / "toybox.config"
    custom.write_text(config.read_text().replace("CONFIG_SEQ=y", "# CONFIG_SEQ is not set"))
    b.set_config(TR_PACKAGE_TOYBOX_CONFIG_CUSTOM="y", TR_PACKAGE_TOYBOX_CUSTOM_CONFIG_FILE=f'"{custom}"')
    b.make("toybox-update-config")
    assert custom.read_text() == config.read_text() and "# CONFIG_SEQ is not set" in custom.read_text()


# toybox compiled again for another configuration: make check-slow.
@pytest.mark.slow
def test_small_toybox_configuration(toybox_image, tmp_path):
    """allnoconfig and package/toybox/toybox-small.fragment: the fragment's
    commands, each checked by the configure step, and no more."""
    b = Build(tmp_path / "out", IMAGE_DL_DIR, ccache=True)
    b.config_path.parent.mkdir(parents=True)
    b.config_path.write_text(toybox_image.config_path.read_text())
    b.set_config(TR_PACKAGE_TOYBOX_CONFIG_SMALL="y")
    b.make("toybox")
    links = links_to(b.package_dir("toybox", "0.8.9") / "target", "toybox")
    assert {"bin/ls", "bin/cat", "usr/bin/tar", "bin/ps", "sbin/poweroff"} <= links
    assert links < links_to(toybox_image.out / "target", "toybox") and len(links) < 80, sorted(links)


def target_files(build):
    """Every file of the target: path -> link target, or content."""
    root = build.out / "target"
    files = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                files[rel] = "-> " + os.readlink(path)
            elif os.path.isfile(path):
                files[rel] = open(path, "rb").read()
            else:
                files[rel] = "dir"
    return files


def stamp_times(build, *packages):
    return {p: os.stat(next((build.out / "build").glob(f"{p}-*")) / ".stamp_built").st_mtime_ns
            for p in packages}


def test_switching_userland_and_back_leaves_nothing_of_the_other(toybox_image, tmp_path):
    b = Build(tmp_path / "out", IMAGE_DL_DIR, ccache=True)
    b.make("qemu_x86_64_defconfig")
    b.set_config(TR_PACKAGE_LINUX="n")
    b.make()
    busybox_only = target_files(b)
    built = stamp_times(b, "busybox", "tinyinit")
    # To toybox: the configuration's BusyBox (defconfig) stays, and toybox's
    # links take the place of BusyBox's for every command both have.
    b.set_config(TR_USERLAND_TOYBOX="y")
    b.make()
    toybox_paths = set((b.package_dir("toybox", "0.8.9") / "src" / "toybox.links").read_text().split())
    toybox_names = {p.rsplit("/", 1)[-1] for p in toybox_paths}
    to_toybox = links_to(b.out / "target", "toybox")
    to_busybox = links_to(b.out / "target", "busybox")
    assert toybox_paths <= to_toybox
    assert not {p.rsplit("/", 1)[-1] for p in to_busybox} & toybox_names
    # BusyBox's own path of a command toybox puts elsewhere: toybox's too.
    assert {"bin/tar", "usr/bin/tar"} <= to_toybox
    assert stamp_times(b, "busybox", "tinyinit") == built, "only toybox is built"
    # The same toybox as in another output directory (a reproducible build).
    assert b.target("/bin/toybox").read_bytes() == toybox_image.target("/bin/toybox").read_bytes()
    # And back: the same target as before, byte for byte, nothing rebuilt.
    b.set_config(TR_USERLAND_BUSYBOX="y")
    b.make()
    assert target_files(b) == busybox_only
    assert stamp_times(b, "busybox", "tinyinit") == built


def test_busybox_init_needs_busybox(tmp_path):
    """An impossible pair is refused by the menu, not by the build."""
    b = Build(tmp_path / "out", IMAGE_DL_DIR)
    b.make("qemu_x86_64_defconfig")
    b.set_config(TR_USERLAND_NONE="y", TR_PACKAGE_BUSYBOX="n", TR_INIT_BUSYBOX="y")
    result = b.make("olddefconfig")
    assert b.config().get("TR_INIT_BUSYBOX", "n") == "n" and b.config()["TR_INIT_TINYINIT"] == "y"
    assert any("TR_INIT_BUSYBOX=y not kept" in line for line in error_lines(result.stdout)), result.stdout


def test_toybox_upstream_version_names_what_was_tried(tmp_path):
    """0.8.12 is upstream's only: its URL and pinned hash are the download's;
    fetched here (upstream's site on a closed port: no traffic leaves the
    machine), the error names the site tried and what the Debian archive has
    instead."""
    b = Build(tmp_path / "out", tmp_path / "dl")
    b.make("qemu_x86_64_toybox_defconfig")
    b.set_config(TR_PACKAGE_TOYBOX_0_8_12="y")
    package = b.package_dir("toybox", "0.8.12")
    package.mkdir(parents=True)
    b.make("-n", "toybox-source")
    script = (package / "download.sh").read_text()
    assert "--file toybox-0.8.12.tar.gz " in script and "--debian-file toybox_0.8.12+dfsg.orig.tar.xz " in script
    assert "--site https://landley.net/toybox/downloads " in script
    expected = subprocess.run([str(TOPDIR / "support/download/check-hash"), "--expected",
                               str(TOPDIR / "package/toybox/toybox.hash"), "toybox-0.8.12.tar.gz"],
                              text=True, check=True, stdout=subprocess.PIPE).stdout.strip()
    assert len(expected) == 64
    result = b.make("toybox-source", "TOYBOX_SITE=http://127.0.0.1:9/offline", check=False)
    assert result.returncode != 0
    line = next(line for line in error_lines(result.stdout) if "no site could provide" in line)
    assert line.startswith("tinyroot: toybox-0.8.12.tar.gz: ")
    assert "http://127.0.0.1:9/offline/toybox-0.8.12.tar.gz" in line
    assert "Debian archive (it has toybox_0.8.9+dfsg.orig.tar.xz, not toybox_0.8.12+dfsg.orig.tar.xz)" in line
    assert not list((tmp_path / "dl").glob("toybox*"))
