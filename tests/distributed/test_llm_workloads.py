"""Generated LLM workloads against the published figures they come from (independent of the code).

- parameter counts against the papers' stated sizes (tolerance 2 %: the papers round, and leave out
  biases and positional embeddings);
- training FLOPs against Narayanan et al. 2021's closed form ``72 B s l h^2 (1 + s/6h + V/12lh)`` (exact
  to float rounding, tolerance 1e-9 relative);
- activation bytes against Korthikanti et al. 2023's ``s b h (34 + 5 a s / h) / t`` (exact);
- model-state bytes against the ZeRO paper's Figure 1 (7.5B parameters, 64 data-parallel NPUs: 120, 31.4,
  16.6 and 1.9 GB for stages 0-3; tolerance 1.5 %, the paper rounds to 0.1 GB).
"""

from __future__ import annotations

import math

import pytest

from archgym.simulators.distributed.llm.accelerator import accelerator
from archgym.simulators.distributed.llm.memory import block_activation_bytes, stage_params, training_memory
from archgym.simulators.distributed.llm.models import MODELS, TransformerModel, model
from archgym.simulators.distributed.llm.operators import block_forward, head_forward
from archgym.simulators.distributed.llm.parallelism import LayoutError, Parallelism, group_networks
from archgym.simulators.distributed.network import Network

PAPER_PARAMS = {"gpt3-13b": 13.0e9, "gpt3-175b": 175.0e9, "llama-7b": 6.7e9, "llama2-70b": 68.98e9,
                "vit-l16": 307e6, "vit-h14": 632e6}  # Llama 2 "70B": 68.98B in its released weights


@pytest.mark.parametrize("name", sorted(MODELS))
def test_parameter_count_within_2pct_of_paper(name):
    got, want = MODELS[name].params, PAPER_PARAMS[name]
    assert abs(got / want - 1) < 0.02, f"{name}: {got / 1e9:.3f}B parameters, paper {want / 1e9:.3f}B (tolerance 2 %)"


@pytest.mark.parametrize("name", ["gpt3-175b", "vit-l16"])
def test_training_flops_equal_narayanan_formula_exact(name):
    m = model(name)
    b, s, l, h, v = 4, m.seq, m.layers, m.hidden, m.vocab
    ours = 3 * (l * sum(o.flops for o in block_forward(m, b, s)) + sum(o.flops for o in head_forward(m, b, s)))
    want = 72 * b * s * l * h * h * (1 + s / (6 * h) + v / (12 * l * h))
    assert ours == pytest.approx(want, rel=1e-9)


def test_parallel_flops_divide_by_tp_times_sp():
    m = model("llama-7b")
    full = sum(o.flops for o in block_forward(m, 2, 2048))
    split = sum(o.flops for o in block_forward(m, 2, 2048, tp=4, sp=2))
    assert split == pytest.approx(full / 8, rel=1e-12)


@pytest.mark.parametrize("tp", [1, 8])
def test_gpt_activations_equal_korthikanti_exact(tp):
    m = model("gpt3-175b")
    s, b, h, a = m.seq, 1, m.hidden, m.heads
    want = s * b * h * (34 + 5 * a * s / h) / tp
    assert block_activation_bytes(m, b, s, Parallelism(tp=tp, dp=8 // tp)) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("stage, paper_GB", [(0, 120.0), (1, 31.4), (2, 16.6), (3, 1.9)])
def test_model_states_match_zero_figure_1_within_1p5pct(stage, paper_GB):
    m = TransformerModel("zero-7.5b", 32, 4096, 32, 4 * 4096, 50257, 1024, 1024)
    par = Parallelism(dp=64)
    est = training_memory(m, par, 1, 1, stage)
    psi = stage_params(m, par)
    states_GB = (est.weights + est.gradients + est.optimizer) / 1e9 * 7.5e9 / psi  # scaled to 7.5B parameters
    assert states_GB == pytest.approx(paper_GB, rel=0.015), f"ZeRO stage {stage}: {states_GB:.2f} GB vs paper {paper_GB} GB"


def test_roofline():
    a100 = accelerator("A100")
    assert a100.op_seconds(312e12, 0) == pytest.approx(1.0)
    assert a100.op_seconds(0, 2039e9) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="not known"):
        accelerator("B200x")


def test_groups_on_network_dimensions():
    net = Network.of(["Switch", "Ring", "FullyConnected"], [8, 4, 32], [400, 100, 50], [500, 500, 500])
    g = group_networks(net, Parallelism(tp=4, sp=2, dp=64, pp=2))
    assert g["tp"].dims == ((0, 4),) and g["tp"].stride == 1
    assert g["sp"].dims == ((0, 2),) and g["sp"].stride == 4  # the rest of the switch
    assert g["dp"].dims == ((1, 4), (2, 16)) and g["dp"].network.npus_per_dim == (4, 16)
    assert g["pp"].dims == ((2, 2),) and g["pp"].stride == 8 * 4 * 16
    with pytest.raises(LayoutError, match="part of a ring is not a ring"):
        group_networks(net, Parallelism(tp=16, dp=32, pp=2))  # tp would take 2 of the Ring's 4
    with pytest.raises(LayoutError, match="NPUs, but the network has"):
        group_networks(net, Parallelism(tp=2))
    assert math.prod(d for _, d in g["dp"].dims) == 64
