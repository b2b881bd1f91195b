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
    return {
        "default": {"cold_build": 100.0, "noop_make": 0.1, "init_edit_rebuild": 0.5,
                    "compression_switch_rebuild": 0.8, "boot_prompt": prompt,
                    "boot_handover": prompt, "boot_prompt_verbose": prompt,
                    "boot_prompt_microvm": prompt, "exec_true": prompt, "exec_true_auto": prompt,
                    "sizes": {"kernel": 1, "initramfs": 1, "total": 2, "busybox": 1}},
        "floppy": {"cold_build": 90.0, "boot_prompt": prompt,
                   "sizes": {"kernel": 1, "initramfs": 1, "total": total, "busybox": 1}},
        "tutorial": {"cold_build": 500.0, "cold_build_fresh": True,
                     "boot_prompt": dict(prompt, median=2.0), "boot_handover": prompt,
                     "sizes": {"kernel": 1, "initramfs": 1, "total": 2, "busybox": 1}},
    }


def test_targets_say_met_or_by_how_much_missed():
    goals = {g["what"]: g for g in bench.targets(figures(boot=1.0, total=1_600_000))}
    assert goals["default cold build / tutorial's"]["met"]            # 20% <= 25%
    assert goals["floppy cold build / tutorial's"]["met"]             # 18% <= 20%
    assert not goals["boot to prompt (s)"]["met"]                     # 1.0 s > 0.8 s
    assert not goals["boot to prompt / tutorial's"]["met"]            # 50% > 35%
    table = bench.targets_table(goals.values())
    assert "| boot to prompt (s) | 1.00 | 0.80 | missed by 25% |" in table
    assert "| floppy kernel + initramfs (bytes) | 1600000 | 1474560 | missed by 9% |" in table
    assert "| no-op make (s) | 0.10 | 0.30 | met |" in table


def test_too_few_runs_are_refused():
    result = subprocess.run([str(BENCH), "--runs", "3"], text=True, capture_output=True)
    assert result.returncode == 2
    assert "at least 10" in result.stderr


def test_table_sets_each_side_and_the_ratio():
    table = bench.table(figures())
    assert "| Cold build (s) | 100 | 500 | 20% |" in table
    assert "| Boot to prompt, median (s) | 0.60 | 2.00 | 30% |" in table
    assert "| Cold build (s) | 90 | 500 | 18% |" in table   # the floppy's
