"""Distributed compilation: compilations go to a distccd helper the test
starts on 127.0.0.1, alone or behind ccache; its log proves the jobs ran
there, and the objects are the same bytes as a local build's. A helper that
is down costs one warning; a host list distcc cannot read stops in one line."""
import shutil

import pytest

from bench_build_engines import LocalHelper, free_port
from conftest import default_configuration, error_lines


@pytest.fixture(scope="module")
def distccd():
    if not shutil.which("distccd"):
        pytest.skip("distccd is not installed (Debian's distcc)")
    server = LocalHelper(slots=3)
    yield server
    server.stop()


def distcc_rootfs_build(out, hosts, ccache_dir=None):
    """The default configuration without the kernel (BusyBox, tinyinit),
    through distcc (and ccache, with its own cache, when ccache_dir)."""
    ccache = {"TR_CCACHE": "y", "TR_CCACHE_DIR": f'"{ccache_dir}"'} if ccache_dir else {}
    return default_configuration(out, TR_PACKAGE_LINUX="n", TR_DISTCC_HOSTS=f'"{hosts}"', **ccache)


# BusyBox compiled for real on the helper: make check-slow.
@pytest.mark.slow
def test_busybox_compiles_on_the_helper_to_the_same_bytes(distccd, rootfs_build, tmp_path):
    b = distcc_rootfs_build(tmp_path / "out", distccd.hosts)
    before = distccd.jobs_done()
    b.make()
    jobs = distccd.jobs_done() - before
    print(f"distccd compiled {jobs} files")
    assert jobs > 200
    # The job count is distcc's: the slots of the host list.
    build_script = (b.package_dir("busybox", "1.35.0") / "build.sh").read_text()
    assert f"export DISTCC_HOSTS='{distccd.hosts}'" in build_script and " -j3" in build_script
    initramfs = rootfs_build.qemu_conf()["QEMU_INITRD"]
    assert (b.out / "images" / initramfs).read_bytes() == (rootfs_build.out / "images" / initramfs).read_bytes()


def test_ccache_sends_only_its_misses_to_the_helper(distccd, rootfs_build, tmp_path):
    b = distcc_rootfs_build(tmp_path / "out", distccd.hosts, ccache_dir=tmp_path / "cache")
    before = distccd.jobs_done()
    b.make("tinyinit")
    assert distccd.jobs_done() > before
    before = distccd.jobs_done()
    b.make("tinyinit-rebuild")
    assert distccd.jobs_done() == before, "a cache hit went to the helper"
    built = "src/tinyinit"
    assert (b.package_dir("tinyinit") / built).read_bytes() == \
        (rootfs_build.package_dir("tinyinit") / built).read_bytes()


def test_helper_that_is_down_warns_once_and_the_build_succeeds(build, tmp_path):
    port = free_port()
    build.set_config(TR_DISTCC_HOSTS=f'"127.0.0.1:{port}/2"')
    (tmp_path / "distcc-state").mkdir()
    result = build.make(env={"DISTCC_DIR": str(tmp_path / "distcc-state")})
    warnings = [l for l in result.stdout.splitlines() if "warning" in l]
    assert len(warnings) == 1 and f"127.0.0.1:{port}" in warnings[0], result.stdout
    assert (build.out / "images" / "manifest.json").exists()


def test_malformed_host_list_stops_in_one_line(build):
    build.set_config(TR_DISTCC_HOSTS='"helper:port/4"')
    result = build.make(check=False)
    assert result.returncode != 0
    lines = [l for l in error_lines(result.stdout) if "TR_DISTCC_HOSTS" in l]
    assert len(lines) == 1 and "'helper:port/4'" in lines[0] and "HOST[:PORT]" in lines[0], result.stdout
    assert not list(build.out.glob("build/*/.stamp_*"))


def distcc_kernel_build(out, hosts):
    return default_configuration(out, TR_USERLAND_NONE="y", TR_PACKAGE_BUSYBOX="n", TR_DISTCC_HOSTS=f'"{hosts}"')


# A kernel source extracted and configured once more: make check-slow.
@pytest.mark.slow
def test_kernel_configuration_names_the_compiler_as_a_local_build_does(distccd, default_image, tmp_path):
    """distcc calls gcc by its triplet name unless told not to, and the
    kernel writes the name it sees into its configuration and version."""
    b = distcc_kernel_build(tmp_path / "out", distccd.hosts)
    b.make("linux-configure")
    config = ".config"
    assert (b.package_dir("linux", "6.1-debian") / "src" / config).read_text() == \
        (default_image.package_dir("linux", "6.1-debian") / "src" / config).read_text()


@pytest.mark.slow
def test_kernel_compiles_on_the_helper_to_the_same_bytes(distccd, default_image, tmp_path):
    b = distcc_kernel_build(tmp_path / "out", distccd.hosts)
    before = distccd.jobs_done()
    b.make("linux")
    assert distccd.jobs_done() - before > 300
    image = "images/vmlinux"
    assert (b.package_dir("linux", "6.1-debian") / image).read_bytes() == \
        (default_image.package_dir("linux", "6.1-debian") / image).read_bytes()
