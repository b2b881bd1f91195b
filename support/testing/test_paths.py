"""Paths GNU make cannot work with (a space, a ':') are refused at once, in
one line that names the path, before anything is written."""
import subprocess

import pytest

from conftest import Build, copy_of_the_tree


def stop_line(result):
    lines = [line for line in result.stdout.splitlines() if "***" in line]
    assert result.returncode != 0 and len(lines) == 1, result.stdout
    return lines[0]


@pytest.mark.parametrize("name", ["with space", "with:colon"])
def test_output_dir(tmp_path, name):
    out = tmp_path / name / "o"
    result = Build(out, tmp_path / "dl").make("qemu_x86_64_defconfig", check=False)
    line = stop_line(result)
    assert f"O='{out}'" in line and "give O= a directory without them" in line
    assert not (tmp_path / name).exists()
    assert not any(tmp_path.iterdir())


def test_download_dir(build, tmp_path):
    dl_dir = tmp_path / "dl with space"
    result = build.make(env={"TR_DL_DIR": str(dl_dir)}, check=False)
    line = stop_line(result)
    assert f"TR_DL_DIR='{dl_dir}'" in line and "set TR_DL_DIR to a directory" in line
    assert not dl_dir.exists()
    assert not list(build.out.glob("build/*/.stamp_*"))


def test_download_dir_from_the_configuration(build, tmp_path):
    dl_dir = tmp_path / "from config" / "dl"
    build.set_config(TR_DL_DIR=f'"{dl_dir}"')
    result = build.make(env={"TR_DL_DIR": ""}, check=False)
    assert f"TR_DL_DIR='{dl_dir}'" in stop_line(result)


def test_tree(tmp_path):
    tree = copy_of_the_tree(tmp_path / "tree with space")
    result = subprocess.run(["make", f"O={tmp_path}/out", "qemu_x86_64_defconfig"], cwd=tree,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    line = stop_line(result)
    assert f"the tinyroot tree at '{tree}'" in line and "move or clone it" in line
    assert not (tmp_path / "out").exists()
