"""make bench's bookkeeping (support/scripts/bench), on made-up figures: the
measuring itself needs minutes of builds and is run by make bench alone."""
import importlib.util
import subprocess
from importlib.machinery import SourceFileLoader

from conftest import TOPDIR

BENCH = TOPDIR / "support" / "scripts" / "bench"
loader = SourceFileLoader("bench", str(BENCH))
bench = importlib.util.module_from_spec(importlib.util.spec_from_loader("bench", loader))
loader.exec_module(bench)


def figures(boot=0.6, total=1_400_000):
    prompt = {"median": boot, "min": boot, "max": boot, "runs": 10}
    anatomy = {"milestones": {"kernel starts": 0.1, "Run /init": 0.4, "shell prompt": 0.5},
               "probes": {"0000:00:02.0": 0.002}}
    return {
        "default": {"cold_build": 100.0, "noop_make": 0.1, "init_edit_rebuild": 0.5,
                    "compression_switch_rebuild": 0.8, "boot_prompt": prompt, "accel": "tcg",
                    "boot_prompt_microvm": prompt, "exec_true": dict(prompt, median=0.7),
                    "boot_firmware": {"disk": dict(prompt, median=2.5, max=2.8), "iso": dict(prompt, median=1.9)},
                    "boot_anatomy": anatomy,
                    "exec_anatomy": {"milestones": {"kernel starts": 0.12, "Run /init": 0.45,
                                                    "exit status line": 0.6, "launcher's exit": 0.65}},
                    "sizes": {"kernel": 1, "initramfs": 4, "total": 2, "busybox": 1000, "toybox": 0},
                    "userland_build": 40.0,
                    "build_engines": {"plain_cold_build": 100.0, "ccache_cold_cache": 110.0,
                                      "ccache_warm_cache": 25.0, "ccache_hits": 1980, "ccache_misses": 20,
                                      "ccache_hit_rate": 0.99, "distcc_hosts": "127.0.0.1:3632/2",
                                      "distcc_build": 130.0, "distcc_jobs_sent": 1900}},
        "toybox": {"cold_build": 110.0, "boot_prompt": dict(prompt, median=0.66), "userland_build": 30.0,
                   "sizes": {"kernel": 1, "initramfs": 5, "total": 6, "busybox": 300, "toybox": 900}},
        "aarch64": {"cold_build": 150.0, "boot_prompt": dict(prompt, median=1.5, max=1.9),
                    "sizes": {"kernel": 4000, "initramfs": 5, "total": 4005, "busybox": 2, "toybox": 0}},
        "riscv64": {"cold_build": 160.0, "boot_prompt": dict(prompt, median=1.25),
                    "sizes": {"kernel": 3000, "initramfs": 6, "total": 3006, "busybox": 3, "toybox": 0}},
        "disk": {"cold_build": 95.0, "boot_prompt": dict(prompt, median=0.7),
                 "boot_firmware": {"disk": dict(prompt, median=2.2), "uefi": dict(prompt, median=6.1),
                                   "iso": dict(prompt, median=2.0), "uefi-iso": dict(prompt, median=6.4)},
                 "sizes": {"kernel": 2, "initramfs": 4, "total": 6, "busybox": 1000}},
        "floppy": {"cold_build": 90.0, "boot_prompt": prompt, "boot_firmware": {"floppy": dict(prompt, median=2.1)},
                   "sizes": {"kernel": 1, "initramfs": 1, "total": total, "busybox": 1}},
        "tutorial": {"cold_build": 500.0, "cold_build_fresh": True,
                     "boot_prompt": dict(prompt, median=2.0),
                     "boot_anatomy": {"milestones": {"kernel starts": 0.5, "Run /init": 1.8,
                                                     "shell prompt": 2.0}, "probes": {"serial8250": 0.01}},
                     "sizes": {"kernel": 1, "initramfs": 1, "total": 2, "busybox": 1}},
    }


def test_targets_say_met_or_by_how_much_missed():
    goals = {g["what"]: g for g in bench.targets(figures(boot=0.3, total=1_600_000))}
    assert goals["default cold build / tutorial's"]["met"]            # 20% <= 25%
    assert goals["floppy cold build / tutorial's"]["met"]             # 18% <= 20%
    assert goals["boot to prompt / tutorial's"]["met"]                # 15% <= 15%
    assert not goals["start.sh --exec true / tutorial's boot"]["met"]  # 35% > 18%
    table = bench.targets_table(goals.values())
    assert "| start.sh --exec true / tutorial's boot | 35% | 18% | missed by 94% |" in table
    assert "| floppy kernel + initramfs (bytes) | 1600000 | 1474560 | missed by 9% |" in table
    assert "| no-op make (s) | 0.10 | 0.30 | met |" in table
    assert "| cold build, new O=, warm ccache / plain cold build | 25% | 30% | met |" in table


def test_too_few_runs_are_refused():
    result = subprocess.run([str(BENCH), "--runs", "3"], text=True, capture_output=True)
    assert result.returncode == 2
    assert "at least 10" in result.stderr


def test_table_sets_each_side_and_the_ratio():
    table = bench.table(figures())
    assert "| Cold build (s) | 100 | 500 | 20% |" in table
    assert "| Boot to prompt, median (s) | 0.60 | 2.00 | 30% |" in table
    assert "| Cold build (s) | 90 | 500 | 18% |" in table   # the floppy's
    assert "| start.sh --exec true, median (s) | 0.70 | 2.00 (its boot) | 35% |" in table


def test_toybox_userland_stands_beside_the_default():
    table = bench.table(figures())
    assert "| Userland packages' build (s) | 30 | 40 | 75% |" in table
    assert "| toybox + BusyBox binaries (bytes) | 1200 | 1000 | 120% |" in table
    assert "| Boot to prompt, median (s) | 0.66 | 0.60 | 110% |" in table


def test_boot_paths_stand_beside_the_kernel_boot():
    table = bench.boot_paths_table(figures())
    assert "| default: -kernel (qboot) | 0.60 | 0.60-0.60 |" in table
    assert "| default: disk.img through SeaBIOS and syslinux | 2.50 | 0.60-2.80 |" in table
    assert "| default: tinyroot.iso as a CD-ROM, SeaBIOS and isolinux | 1.90 |" in table
    assert "| floppy defconfig: floppy.img through SeaBIOS and syslinux | 2.10 |" in table
    assert "| disk defconfig: disk.img, its ext4 root, under OVMF and systemd-boot | 6.10 |" in table
    assert "| disk defconfig: tinyroot.iso as a CD-ROM, OVMF and systemd-boot | 6.40 |" in table
    assert table in bench.table(figures())


def test_architectures_stand_beside_x86_64():
    table = bench.arch_table(figures())
    assert table.startswith("| architecture | x86_64 default | aarch64 | riscv64 |\n|---|---:|---:|---:|\n")
    assert "| Cold build (s) | 100 | 150 | 160 |" in table
    assert "| Boot to prompt, median (s) | 0.60 | 1.50 | 1.25 |" in table
    assert "| Boot to prompt, min-max (s) | 0.60-0.60 | 0.60-1.90 | 0.60-0.60 |" in table
    assert "| Kernel image (bytes) | 1 | 4000 | 3000 |" in table


def test_anatomy_sets_the_boots_side_by_side():
    table = bench.anatomy_table(figures())
    assert "| Run /init | 0.40 | 1.80 | 0.45 |" in table
    assert "| exit status line | - | - | 0.60 |" in table
    assert "| 0000:00:02.0 | 2.0 | - |" in table and "| serial8250 | - | 10.0 |" in table


def test_kernel_clock_start_is_the_smallest_offset():
    lines = [(0.9, "[    0.000000] Linux version"), (0.9, "[    0.300000] a line that waited"),
             (1.0, "[    0.600000] printed live"), (1.5, "no printk time")]
    assert bench.kernel_clock_start(lines) == 0.4


def test_build_engines_stand_beside_the_plain_build():
    table = bench.bench_build_engines.table(figures()["default"]["build_engines"])
    assert "| plain (no ccache, no distcc) | 100 | 100% |  |" in table
    assert "| ccache, empty cache | 110 | 110% |  |" in table
    assert ("| ccache, cache warmed by another output directory | 25 | 25% | "
            "1980 hits, 20 misses: hit rate 99.0% |") in table
    assert ("| distcc, one helper on this machine (127.0.0.1:3632/2) | 130 | 130% | "
            "1900 compilations ran on the helper |") in table
