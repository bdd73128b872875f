"""The shipped Llama-3-8B workloads: their GEMMs add up to the published parameter count (8.03B, Meta's
model card) and to the published attention cost, and the files are what the generator writes."""

from __future__ import annotations

import pytest

from archgym import datasets
from archgym.datasets.llm_workloads import LLAMA3_8B, WORKLOADS, dataflow_csv, gemms, scalesim_csv
from archgym.simulators.dataflow.network import load_layers
from archgym.simulators.systolic.formats.scalesim import read_topology


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_weights_in_the_gemms_equal_the_published_8_03B_within_0p5pct(name):
    phase, batch, seq = WORKLOADS[name]
    tokens = batch * seq if phase == "prefill" else batch
    rows = gemms(phase, batch, seq)
    weight_macs = sum(m * n * k for n_, m, n, k in rows if not n_.endswith(("QKt", "SV", "lm_head")))
    head = next(n * k for n_, m, n, k in rows if n_ == "lm_head")
    params = weight_macs / tokens + 2 * head  # + the (untied) input embedding, which is a lookup, no GEMM
    assert params == pytest.approx(8.03e9, rel=0.005), f"{params / 1e9:.3f}B parameters (tolerance 0.5 %)"


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_attention_macs_are_2_x_layers_x_heads_x_tokens_x_context_x_head_dim(name):
    phase, batch, seq = WORKLOADS[name]
    c = LLAMA3_8B
    rows = gemms(phase, batch, seq)
    att = sum(m * n * k for n_, m, n, k in rows if n_.endswith(("QKt", "SV")))
    queries = batch * seq if phase == "prefill" else batch
    assert att == 2 * c["layers"] * c["heads"] * queries * seq * c["head_dim"]


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_shipped_files_are_the_generators_and_read_back(name):
    rows = gemms(*WORKLOADS[name])
    assert datasets.path("workloads", f"{name}.csv").read_text() == scalesim_csv(rows)
    assert datasets.path("dataflow", f"{name}.csv").read_text() == dataflow_csv(rows)
    assert len(read_topology(datasets.path("workloads", f"{name}.csv"))) == len(rows)
    layers = load_layers(datasets.path("dataflow", f"{name}.csv"))
    assert sum(getattr(layer, "repeat", 1) for layer in layers) == len(rows)
