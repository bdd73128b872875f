"""Hostile command lines: exit 0 with output, or a one-line ``error:`` (exit 1 or 2); never a traceback."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from archgym import datasets
from archgym.cli import build_app

from .conftest import FAST

FILES = [str(datasets.path("workloads", "resnet18.csv")), str(datasets.path("dram", "memspec_ddr4_8Gb_x8_2400.json")),
         "/nonexistent/file.csv", "/", "-", ""]
junk = st.one_of(st.sampled_from(["-1", "0", "1e400", "nan", "inf", "abc", "", "x=1", "=", "budget=-3", "9" * 25]),
                 st.sampled_from(FILES), st.text(max_size=6))

COMMANDS = {
    "run": (["run"], ["--agent", "--budget", "--seed", "--workload", "--param", "--env-arg", "--reward", "--target",
                      "--weight"], ["archgym/Synthetic-v0", "archgym/Nope-v9", "bowl"]),
    "simulate systolic": (["simulate", "systolic"], ["--config", "--workload", "--array", "--dataflow"], []),
    "simulate dram": (["simulate", "dram"], ["--memspec", "--trace", "--mcconfig", "--addressmapping"], []),
    "simulate dataflow": (["simulate", "dataflow"], ["--workload", "--budget", "--objective"], []),
    "collect": (["collect"], ["--n", "--sampler", "--seed", "--env-arg"], ["archgym/Synthetic-v0", "nope"]),
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
@settings(max_examples=FAST // 2)
@given(data=st.data())
def test_hostile_command_lines(name, data, tmp_path_factory):
    prefix, options, positionals = COMMANDS[name]
    args = list(prefix)
    if positionals and data.draw(st.booleans()):
        args.append(data.draw(st.sampled_from(positionals)))
    for opt in data.draw(st.lists(st.sampled_from(options), max_size=3)):
        args += [opt, data.draw(junk)]
    if name in ("run", "collect"):
        args += ["--out", str(tmp_path_factory.mktemp("cli") / "o")]
        args += ["--budget", "5"] if name == "run" else ["--n", "5"]
    if name == "run":
        args.append("--no-progress")
    res = CliRunner().invoke(build_app(), args)
    text = res.output
    assert "Traceback" not in text, f"{args}: {text}"
    assert res.exception is None or isinstance(res.exception, SystemExit), f"{args}: {res.exception!r}"
    assert res.exit_code in (0, 1, 2), f"{args}: exit {res.exit_code}: {text}"
