"""support/scripts/mkrootfs-ext4, the ext4 root filesystem of disk.img, on
a small tree made here: the same bytes from two copies made at other times
and owned by another user, every inode root's with SOURCE_DATE_EPOCH's
times, a clean filesystem; a tree too large stopped in one line. (The disk
defconfig's own rootfs.ext4 boots in test_disk_root.py.)"""
import os
import re
import subprocess
import time

from conftest import TOPDIR

MKROOTFS_EXT4 = str(TOPDIR / "support/scripts/mkrootfs-ext4")
UUID = "74696e79-0000-4000-8000-000000000002"
EPOCH = 1700000000


def small_tree(dest):
    """A few directories, files, a symlink and a hard link, dated
    SOURCE_DATE_EPOCH as the images step dates the target; owned by
    another user when the tests run as root."""
    (dest / "bin").mkdir(parents=True)
    (dest / "etc").mkdir()
    (dest / "bin" / "busybox").write_bytes(b"\x7fELF" + bytes(8192))
    (dest / "bin" / "busybox").chmod(0o755)
    (dest / "bin" / "sh").symlink_to("busybox")
    os.link(dest / "bin" / "busybox", dest / "bin" / "ash")
    (dest / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    if os.geteuid() == 0:
        subprocess.run(["chown", "-hR", "12345:12345", str(dest)], check=True)
    subprocess.run(["find", str(dest), "-exec", "touch", "-h", "-d", f"@{EPOCH}", "{}", "+"], check=True)
    return dest


def mkrootfs(target, image, size_mib=4):
    return subprocess.run([MKROOTFS_EXT4, str(target), str(image), str(size_mib), UUID, "the fix"],
                          env=dict(os.environ, SOURCE_DATE_EPOCH=str(EPOCH)), text=True, capture_output=True)


def test_same_bytes_from_copies_made_at_other_times_all_roots(tmp_path):
    first = small_tree(tmp_path / "a")
    time.sleep(1.1)  # the second copy's change times differ from the first's
    second = tmp_path / "b"
    subprocess.run(["cp", "-a", str(first), str(second)], check=True)  # as the target is assembled
    for tree, image in ((first, "a.ext4"), (second, "b.ext4")):
        result = mkrootfs(tree, tmp_path / image)
        assert result.returncode == 0 and result.stderr == "", result.stderr
    assert (tmp_path / "a.ext4").read_bytes() == (tmp_path / "b.ext4").read_bytes()
    image = str(tmp_path / "a.ext4")
    assert subprocess.run(["e2fsck", "-fn", image], capture_output=True).returncode == 0
    for inode in ("/", "/bin", "/bin/busybox", "/bin/sh", "/etc/passwd"):
        stat = subprocess.run(["debugfs", "-R", f"stat {inode}", image], text=True, check=True,
                              capture_output=True).stdout
        assert re.search(r"User:\s+0\s+Group:\s+0\s", stat), stat
        times = dict(re.findall(r"^\s*(c|a|m|cr)time: (0x[0-9a-f]+)", stat, re.M))
        assert times and set(times.values()) == {hex(EPOCH)}, stat
    links = subprocess.run(["debugfs", "-R", "stat /bin/ash", image], text=True, check=True,
                           capture_output=True).stdout
    assert re.search(r"Links: 2\b", links), links


def test_a_tree_too_large_is_refused_in_one_line_and_leaves_no_image(tmp_path):
    tree = small_tree(tmp_path / "tree")
    (tree / "big").write_bytes(os.urandom(3 * 1024 * 1024))
    image = tmp_path / "rootfs.ext4"
    result = mkrootfs(tree, image, size_mib=2)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("tinyroot: rootfs.ext4: mke2fs: ") and "KiB for 2 MiB: the fix" in line, line
    assert not image.exists()
