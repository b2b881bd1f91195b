"""make bench's figures for the build engines (support/scripts/bench):
ccache and distcc on the default configuration, each build a cold one into
a new output directory, sources already downloaded, set beside the plain
cold build.

- ccache, cold cache: the cost of filling it;
- ccache, warm cache, another output directory: what a second O=, a CI run
  or a teammate's checkout pays, and the cache's hit rate;
- distcc through one distccd helper on 127.0.0.1 (its own port, only
  127.0.0.1 allowed): the overhead of sending every compilation out, which
  on one machine nothing can win back.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def ccache_stats(cache_dir):
    """ccache's counters of one cache directory: name -> number."""
    out = subprocess.run(["ccache", "--print-stats"], env={"CCACHE_DIR": str(cache_dir), "PATH": "/usr/bin:/bin"},
                         check=True, capture_output=True, text=True).stdout
    return {name: int(value) for name, value in (line.split("\t") for line in out.splitlines())}


def ccache_counts(cache_dir):
    """(hits, misses) of one cache directory so far."""
    stats = ccache_stats(cache_dir)
    return stats["direct_cache_hit"] + stats["preprocessed_cache_hit"], stats["cache_miss"]


def counted(cache_dir, action):
    """Runs action(); returns its result, the hits and misses it added to
    cache_dir, and its hit rate."""
    hits_before, misses_before = ccache_counts(cache_dir)
    result = action()
    hits, misses = ccache_counts(cache_dir)
    hits, misses = hits - hits_before, misses - misses_before
    return result, hits, misses, hits / max(1, hits + misses)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalHelper:
    """distccd on 127.0.0.1, its own port, only 127.0.0.1 allowed, with
    slots jobs (as many as this machine has CPUs by default); the tests
    start theirs with it too. Started as root it drops to its own user, so
    its log lives in a directory that user can write, not in a private
    temporary one (pytest's are 0700)."""

    def __init__(self, slots=os.cpu_count()):
        self.port, self.slots = free_port(), slots
        self.dir = Path(tempfile.mkdtemp(prefix="tr-bench-distccd-"))
        self.dir.chmod(0o755)
        self.log = self.dir / "distccd.log"
        self.log.touch()
        self.log.chmod(0o666)
        # The same compiler as the builds: Debian's, whatever else is on PATH.
        self.proc = subprocess.Popen(
            ["distccd", "--no-detach", "--daemon", "--listen", "127.0.0.1", "--port", str(self.port),
             "--allow", "127.0.0.1", "--jobs", str(self.slots), "--log-file", str(self.log),
             "--log-level", "info"],  # info: a line per compilation, COMPILE_OK
            env={"PATH": "/usr/bin:/bin"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while "listening on" not in self.log.read_text():
            if time.monotonic() > deadline:
                raise SystemExit(f"bench: distccd did not start: {self.log.read_text()}")
            time.sleep(0.1)

    @property
    def hosts(self):
        return f"127.0.0.1:{self.port}/{self.slots}"

    def jobs_done(self):
        return self.log.read_text().count("COMPILE_OK")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir)


def measure(cold_build, bench_dir, plain_cold_build):
    """cold_build(out_name, env, variables) -> seconds builds the default
    into a new output directory, with env and make's command-line variables;
    plain_cold_build is its time without either engine."""
    r = {"plain_cold_build": plain_cold_build}
    cache = bench_dir / "ccache"
    shutil.rmtree(cache, ignore_errors=True)
    ccache_env = dict(os.environ, TR_CCACHE="y", TR_CCACHE_DIR=str(cache))
    r["ccache_cold_cache"] = cold_build("ccache-cold", ccache_env, ())
    r["ccache_warm_cache"], r["ccache_hits"], r["ccache_misses"], r["ccache_hit_rate"] = counted(
        cache, lambda: cold_build("ccache-warm", ccache_env, ()))
    helper = LocalHelper()
    try:
        r["distcc_hosts"] = helper.hosts
        r["distcc_build"] = cold_build("distcc", dict(os.environ, TR_CCACHE="n"),
                                       (f"TR_DISTCC_HOSTS={helper.hosts}",))
        r["distcc_jobs_sent"] = helper.jobs_done()
    finally:
        helper.stop()
    return r


def table(engines):
    plain = engines["plain_cold_build"]

    def row(what, seconds, extra=""):
        return f"| {what} | {seconds:.0f} | {seconds / plain:.0%} | {extra} |"

    return "\n".join([
        "| default image, cold build into a new output directory | seconds | / plain build | |",
        "|---|---:|---:|---|",
        row("plain (no ccache, no distcc)", plain),
        row("ccache, empty cache", engines["ccache_cold_cache"]),
        row("ccache, cache warmed by another output directory", engines["ccache_warm_cache"],
            f"{engines['ccache_hits']} hits, {engines['ccache_misses']} misses: "
            f"hit rate {engines['ccache_hit_rate']:.1%}"),
        row(f"distcc, one helper on this machine ({engines['distcc_hosts']})", engines["distcc_build"],
            f"{engines['distcc_jobs_sent']} compilations ran on the helper"),
    ]) + "\n"
