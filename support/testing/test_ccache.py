"""The compiler cache: every package compiles through ccache when it is on,
switching it rebuilds nothing, a new output directory takes its objects
from the cache (local, or remote storage on a Redis server of the test's),
the images are the same bytes whatever the cache held, and bad settings
stop in one line or warn in one."""
import shutil
import subprocess
import time

import pytest

from bench_build_engines import ccache_stats, counted, free_port
from conftest import default_configuration, error_lines, images_differ, path_without


def nothing_done(result):
    return "nothing to do" in result.stdout and ">>>" not in result.stdout


def cached_rootfs_build(out, cache_dir, **symbols):
    """The default configuration without the kernel (BusyBox, tinyinit),
    through ccache with its own cache directory; not built yet."""
    return default_configuration(out, TR_PACKAGE_LINUX="n", TR_CCACHE="y", TR_CCACHE_DIR=f'"{cache_dir}"',
                                 **symbols)


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    """A Redis server of the test's own on 127.0.0.1, with a fresh data dir;
    yields its port."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed (Debian's redis-server)")
    data = tmp_path_factory.mktemp("redis")
    port = free_port()
    server = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", str(data),
                               "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if redis_cli(port, "ping") == "PONG":
                break
            time.sleep(0.1)
        else:
            raise AssertionError("redis-server did not start")
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def redis_cli(port, *command):
    return subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *command],
                          capture_output=True, text=True).stdout.strip()


# BusyBox compiled for real into a cache of its own: make check-slow.
@pytest.mark.slow
def test_remote_storage_fills_and_serves_a_build_with_an_empty_local_cache(tmp_path, redis, rootfs_build):
    url = f'"redis://127.0.0.1:{redis}"'
    first = cached_rootfs_build(tmp_path / "first", tmp_path / "cache-first", TR_CCACHE_REMOTE_STORAGE=url)
    first.make()
    filled = int(redis_cli(redis, "dbsize"))
    assert filled > 100, f"the Redis server holds {filled} keys"
    assert ccache_stats(tmp_path / "cache-first")["remote_storage_write"] > 100

    # Another output directory, an empty local cache: the objects come from Redis.
    second = cached_rootfs_build(tmp_path / "second", tmp_path / "cache-second", TR_CCACHE_REMOTE_STORAGE=url)
    _, new_hits, misses, rate = counted(tmp_path / "cache-second", second.make)
    remote_hits = ccache_stats(tmp_path / "cache-second")["remote_storage_hit"]
    print(f"empty local cache, warm Redis: {new_hits} hits ({remote_hits} from Redis), {misses} misses,"
          f" hit rate {rate:.1%}")
    assert remote_hits > 100 and rate > 0.9

    # A third with the first's local cache and no remote: local hits.
    third = cached_rootfs_build(tmp_path / "third", tmp_path / "cache-first")
    _, new_hits, misses, rate = counted(tmp_path / "cache-first", third.make)
    print(f"warm local cache: {new_hits} hits, {misses} misses, hit rate {rate:.1%}")
    assert rate > 0.9

    # Cold, warm from Redis, warm locally, and the session's: the same images.
    for b in (second, third, rootfs_build):
        assert images_differ(first.out / "images", b.out / "images") == [], b.out


def test_a_new_output_directory_hits_the_session_cache(default_image, elsewhere_build):
    """The user's story: TR_CCACHE=y make O=/tmp/other qemu_x86_64_defconfig all,
    after the session's default build (here without the kernel, from another
    checkout, in another locale and timezone: none of it reaches the
    compiler's input)."""
    b = elsewhere_build
    print(f"new output directory: {b.hits} hits, {b.misses} misses, hit rate {b.rate:.1%}")
    assert b.rate > 0.9
    assert images_differ(default_image.out / "images", b.build.out / "images", kernel_less=True) == []


def test_kernel_command_lines_name_the_compiler_not_ccache(default_image):
    cmd = (default_image.package_dir("linux", "6.1-debian") / "src" / "kernel" / ".fork.o.cmd").read_text()
    assert cmd.startswith("cmd_kernel/fork.o := gcc ") and "ccache" not in cmd


def test_switching_ccache_off_and_on_rebuilds_nothing(default_image):
    assert nothing_done(default_image.make(env={"TR_CCACHE": "n"}))
    assert nothing_done(default_image.make(env={"TR_CCACHE": "y"}))


@pytest.fixture
def cached_build(build, tmp_path):
    """The test packages, through ccache with a cache of the test's own."""
    build.set_config(TR_CCACHE="y", TR_CCACHE_DIR=f'"{tmp_path / "cache"}"')
    return build


def test_every_compilation_goes_through_the_cache(cached_build, tmp_path):
    """libgreet compiles an object (cached); hello and goodbye compile and
    link in one call, which ccache counts and hands to gcc uncached."""
    build = cached_build
    build.make()
    stats = ccache_stats(tmp_path / "cache")
    assert stats["cache_miss"] == 1 and stats["called_for_link"] == 2, stats
    manifest = (build.out / "images" / "manifest.json").read_text()
    assert '"name": "ccache"' in manifest


def test_environment_value_must_be_y_or_n(cached_build):
    build = cached_build
    result = build.make(env={"TR_CCACHE": "yes"}, check=False)
    assert result.returncode != 0
    line = next(l for l in result.stdout.splitlines() if "TR_CCACHE=yes" in l)
    assert "give y" in line


def test_unwritable_cache_directory_stops_before_building(cached_build, tmp_path):
    build = cached_build
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = build.make(env={"TR_CCACHE_DIR": str(blocker / "cache")}, check=False)
    assert result.returncode != 0
    lines = [l for l in error_lines(result.stdout) if "TR_CCACHE_DIR" in l]
    assert len(lines) == 1 and str(blocker / "cache") in lines[0] and "writable" in lines[0]
    assert not list(build.out.glob("build/*/.stamp_*"))


def test_size_ccache_would_refuse_is_named(cached_build):
    build = cached_build
    build.set_config(TR_CCACHE_SIZE='"lots"')
    result = build.make(check=False)
    assert result.returncode != 0
    lines = [l for l in error_lines(result.stdout) if "TR_CCACHE_SIZE" in l]
    assert len(lines) == 1 and "'lots'" in lines[0] and "5G" in lines[0]


def test_missing_ccache_is_named_with_the_fix(cached_build, tmp_path):
    build = cached_build
    result = build.make(env={"PATH": path_without("ccache", tmp_path / "bin")}, check=False)
    assert result.returncode != 0
    lines = [line for line in error_lines(result.stdout) if "missing host tools" in line]
    assert lines and "ccache" in lines[0] and "install-host-deps" in lines[0]


def test_remote_storage_that_refuses_connections_warns_once(cached_build, tmp_path):
    build = cached_build
    url = f"redis://127.0.0.1:{free_port()}"
    build.set_config(TR_CCACHE_REMOTE_STORAGE=f'"{url}"')
    result = build.make()
    warnings = [l for l in result.stdout.splitlines() if "warning" in l]
    assert len(warnings) == 1 and url in warnings[0] and "local cache" in warnings[0], result.stdout
    assert (build.out / "images" / "manifest.json").exists()
    assert ccache_stats(tmp_path / "cache")["cache_miss"] == 1
