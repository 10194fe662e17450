"""`deltacheck sweep --scheduler`: the architectures on a Dask cluster give the same CSV bytes as --jobs 1,
and a scheduler that cannot be used is one line and exit code 2."""

import sys
from pathlib import Path

from comparisons import cli
from comparisons.sweep import runner

SMALL = ["--archs", "4", "--steps", "3", "--seed", "3", "--no-progress"]


def sweep(out, *extra):
    return cli.main(["sweep", *SMALL, "--out", str(out), *extra])


def csv_bytes(d):
    return {name: (Path(d) / name).read_bytes() for name in ("gradients.csv", "trajectories.csv")}


def test_a_local_cluster_gives_the_same_csv_bytes_as_jobs_1(tmp_path):
    assert sweep(tmp_path / "one", "--jobs", "1") == 0
    assert sweep(tmp_path / "dask", "--scheduler", "local") == 0
    assert csv_bytes(tmp_path / "dask") == csv_bytes(tmp_path / "one")
    assert "--scheduler local" in (tmp_path / "dask" / "summary.md").read_text()


def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "CONNECT_TIMEOUT", "1s")
    assert sweep(tmp_path, "--scheduler", "tcp://127.0.0.1:9") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--scheduler tcp://127.0.0.1:9: cannot connect" in err, err
    assert not tmp_path.exists() or not list(tmp_path.iterdir())


def test_without_dask_the_scheduler_option_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now raises ImportError
    assert sweep(tmp_path, "--scheduler", "local") == 2
    assert "pip install 'deltacheck[cluster]'" in capsys.readouterr().err
