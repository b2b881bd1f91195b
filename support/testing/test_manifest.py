"""output/images/manifest.json: complete (every source with its hash, the
patches applied, the host tools) and reproducible (the same bytes from
another checkout and another O=)."""
import json
import re
import shutil
import subprocess

import pytest

from conftest import IMAGE_DL_DIR, TOPDIR, Build, copy_of_the_tree, images_differ, sha256

WRITE_MANIFEST = str(TOPDIR / "support" / "scripts" / "write-manifest")
HEX64 = re.compile(r"[0-9a-f]{64}")

# Adds a file: applies to any BusyBox.
BUSYBOX_PATCH = """\
--- /dev/null
+++ b/TINYROOT-MANIFEST-TEST
@@ -0,0 +1 @@
+patched by test_manifest.py
"""


def first_line(*command):
    return subprocess.run(command, check=True, text=True, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout.splitlines()[0]


# --- the local sources' content hash, on its own ------------------------------------

def local_source(source, synced):
    line = subprocess.run([WRITE_MANIFEST, "--local-source", str(source), str(synced)], check=True,
                          text=True, stdout=subprocess.PIPE).stdout
    assert line.startswith(f"local {source} ") and line.endswith("\n"), line
    digest = line.split()[-1]
    assert HEX64.fullmatch(digest), line
    return digest


def synced_copy(source, dest):
    subprocess.run(["rsync", "-a", "--exclude=.git", f"{source}/", f"{dest}/"], check=True)
    return dest


@pytest.fixture
def source(tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "main.c").write_text("int main(void) { return 0; }\n")
    (src / "sub" / "run").write_text("#!/bin/sh\n")
    (src / "sub" / "run").chmod(0o755)
    (src / "link").symlink_to("sub/run")
    (src / ".git").mkdir()
    (src / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return src


def test_local_hash_is_of_the_content_not_the_place(tmp_path, source):
    digest = local_source(source, synced_copy(source, tmp_path / "a"))
    moved = shutil.copytree(source, tmp_path / "elsewhere" / "src", symlinks=True)
    assert local_source(moved, synced_copy(moved, tmp_path / "b")) == digest
    # The build's products in the copy, and .git in the source, do not count.
    (tmp_path / "a" / "main.o").write_bytes(b"\x7fELF")
    (source / ".git" / "HEAD").write_text("ref: refs/heads/other\n")
    assert local_source(source, tmp_path / "a") == digest


@pytest.mark.parametrize("change", ["content", "mode", "link", "new file", "empty dir"])
def test_local_hash_follows_what_is_synced(tmp_path, source, change):
    before = local_source(source, synced_copy(source, tmp_path / "copy"))
    if change == "content":
        (source / "main.c").write_text("int main(void) { return 10; }\n")
    elif change == "mode":
        (source / "main.c").chmod(0o755)
    elif change == "link":
        (source / "link").unlink()
        (source / "link").symlink_to("main.c")
    elif change == "new file":
        (source / "sub" / "new").write_text("")
    else:
        (source / "empty").mkdir()
    assert local_source(source, synced_copy(source, tmp_path / "copy")) != before


# --- the manifest from recorded build directories ------------------------------------

def package_dir(root, name, origin, patches=None):
    d = root / name
    d.mkdir(parents=True)
    (d / "source-origin").write_text(origin + "\n")
    if patches is not None:
        (d / "applied-patches").write_text("".join(f"{h}  {n}\n" for h, n in patches))
    return d


def write_manifest(*args):
    return subprocess.run([WRITE_MANIFEST, *map(str, args)], text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_manifest_names_local_sources_portably(tmp_path):
    tree, external = tmp_path / "tree", tmp_path / "ext"
    h = "ab" * 32
    dirs = [package_dir(tmp_path / "b", "tarball", f"https://example.org/x.tar.gz {h}",
                        [("cd" * 32, "0001-fix.patch"), ("ef" * 32, "0002-more.patch")]),
            package_dir(tmp_path / "b", "intree", f"local {tree}/package/intree/src {h}"),
            package_dir(tmp_path / "b", "external", f"local {external}/package/external/src {h}"),
            package_dir(tmp_path / "b", "override", f"local /home/me/src/override {h}")]
    tool = tmp_path / "bin" / "cc"
    tool.parent.mkdir()
    tool.write_text('#!/bin/sh\necho "cc (Test) 1.0 \\"quoted\\""\necho a second line\n')
    tool.chmod(0o755)
    result = write_manifest("--tree", tree, "--external", external, "--tool", tool,
                            *[arg for d in dirs for arg in (d.name, "1.0", d)])
    assert result.returncode == 0, result.stderr
    manifest = json.loads(result.stdout)
    origins = {p["name"]: p["origin"] for p in manifest["packages"]}
    assert origins == {"tarball": "https://example.org/x.tar.gz",
                       "intree": "local package/intree/src",
                       "external": "local $TR_EXTERNAL/package/external/src",
                       "override": "local /home/me/src/override"}
    assert all(p["sha256"] == h for p in manifest["packages"])
    patches = {p["name"]: p["patches"] for p in manifest["packages"]}
    assert patches["tarball"] == [{"name": "0001-fix.patch", "sha256": "cd" * 32},
                                  {"name": "0002-more.patch", "sha256": "ef" * 32}]
    assert patches["intree"] == patches["external"] == patches["override"] == []
    # By name, not path: the same whichever PATH found it.
    assert manifest["tools"] == [{"name": "cc", "version": 'cc (Test) 1.0 "quoted"'}]


def test_manifest_refuses_an_origin_without_sha256(tmp_path):
    """What an older tinyroot recorded for a local source: no hash."""
    d = package_dir(tmp_path, "skeleton", f"local {tmp_path}/files")
    result = write_manifest("--tree", tmp_path, "skeleton", "1", d)
    assert result.returncode == 1
    assert result.stderr == (f"tinyroot: {d}/source-origin: no sha256 at the end of "
                             f"\"local {tmp_path}/files\" (a build from before manifests had one); "
                             "make skeleton-dirclean and build again\n")


def test_manifest_refuses_a_package_without_its_patch_record(tmp_path):
    d = package_dir(tmp_path, "busybox", "Debian archive " + "a" * 64)
    result = write_manifest("--tree", tmp_path, "busybox", "1.35.0", d)
    assert result.returncode == 1
    assert result.stderr == (f"tinyroot: {d}/applied-patches: missing (a build from before "
                             "manifests listed patches); make busybox-dirclean and build again\n")


# --- two checkouts, two O=: one initramfs, one manifest -----------------------------

def build_rootfs(root, patch_dir, ccache):
    """The default configuration without the kernel (BusyBox, tinyinit,
    skeleton), from a copy of the tree at root/tree into root/out."""
    tree = copy_of_the_tree(root / "tree")
    b = Build(root / "out", IMAGE_DL_DIR, ccache=ccache)
    b.make("qemu_x86_64_defconfig", cwd=tree)
    b.set_config(TR_PACKAGE_LINUX="n", TR_GLOBAL_PATCH_DIR=f'"{patch_dir}"')
    b.make(cwd=tree, env={"SOURCE_DATE_EPOCH": "1700000000"})
    return b


# A patched BusyBox compiled twice: make check-slow.
@pytest.mark.slow
def test_two_checkouts_give_the_same_initramfs_and_complete_manifest(tmp_path):
    patch = tmp_path / "patches" / "busybox" / "0001-manifest-test.patch"
    patch.parent.mkdir(parents=True)
    patch.write_text(BUSYBOX_PATCH)
    a = build_rootfs(tmp_path / "a", tmp_path / "patches", ccache=False)
    b = build_rootfs(tmp_path / "b", tmp_path / "patches", ccache=True)

    initramfs = a.qemu_conf()["QEMU_INITRD"]
    assert (b.out / "images" / initramfs).read_bytes() == (a.out / "images" / initramfs).read_bytes()
    text = (a.out / "images" / "manifest.json").read_bytes()
    assert images_differ(a.out / "images", b.out / "images") == []
    manifest = json.loads(text)
    packages = {p["name"]: p for p in manifest["packages"]}
    assert set(packages) == {"busybox", "skeleton", "tinyinit"}
    assert packages["tinyinit"]["origin"] == "local package/tinyinit/src"
    assert packages["skeleton"]["origin"] == "local package/skeleton/files"
    for p in packages.values():
        assert HEX64.fullmatch(p["sha256"]), p
    assert packages["busybox"]["sha256"] == \
        "faeeb244c35a348a334f4a59e44626ee870fb07b6884d68c10ae8bc19f83a694"
    # What was applied: the patch is in the source, and listed.
    assert (a.package_dir("busybox", "1.35.0") / "src" / "TINYROOT-MANIFEST-TEST").is_file()
    assert packages["busybox"]["patches"] == [{"name": patch.name, "sha256": sha256(patch)}]
    assert packages["tinyinit"]["patches"] == packages["skeleton"]["patches"] == []

    tools = {t["name"]: t["version"] for t in manifest["tools"]}
    assert list(tools) == ["gcc", "ld", "make", "cpio", "lz4"]
    # The build through ccache says so.
    tools_b = {t["name"]: t["version"] for t in json.loads((b.out / "images" / "manifest.json").read_text())["tools"]}
    assert list(tools_b) == ["gcc", "ld", "make", "ccache", "cpio", "lz4"]
    for name, version in tools_b.items():
        assert version == first_line(name, "--version"), name
