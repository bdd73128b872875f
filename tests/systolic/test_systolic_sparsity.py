"""N:M sparsity inputs: validation, refusals, and SCALE-Sim's rule that ratios count only with
SparsitySupport (figures against SCALE-Sim itself: test_systolic_sparsity_live.py)."""

import pytest

from archgym.simulators.systolic import Layer, SystolicConfig, simulate, simulate_batch


def test_ratio_validation_names_field_value_and_range():
    with pytest.raises(ValueError, match=r"sparsity_n: value 5 out of range; allowed: integers 1\.\.4"):
        Layer("x", 8, 8, 3, 3, 4, 4, 1, sparsity_n=5, sparsity_m=4)
    with pytest.raises(ValueError, match=r"sparsity_m: value 0 out of range"):
        Layer.gemm("g", 4, 4, 4, sparsity=(1, 0))
    with pytest.raises(ValueError, match=r"sparse_rep: value 'coo' is not allowed"):
        SystolicConfig(sparse_rep="coo")
    with pytest.raises(ValueError, match=r"sparsity_support: value 'yes' is not allowed"):
        SystolicConfig(sparsity_support="yes")


@pytest.mark.parametrize("k,n,m,kept", [(18, 2, 4, 10), (13, 1, 3, 5), (16, 3, 4, 12), (7, 3, 8, 3), (1, 3, 4, 1),
                                        (30, 3, 8, 12)])
def test_kept_window_elements(k, n, m, kept):
    """First N of every M window elements, the last partial block keeping at most N (counted by hand)."""
    assert Layer.gemm("g", 2, 2, k, sparsity=(n, m)).sparse_k == kept


def test_ratios_are_ignored_without_sparsity_support():
    """SCALE-Sim reads the ratio column but uses it only with SparsitySupport: a dense run."""
    config = SystolicConfig(8, 8, "ws", 1, 1, 1, bandwidth_mode="USER", bandwidth=4)
    sparse = simulate(config, [Layer("a", 9, 9, 3, 3, 4, 6, 1, sparsity_n=1, sparsity_m=4)])["layers"][0]
    dense = simulate(config, [Layer("a", 9, 9, 3, 3, 4, 6, 1)])["layers"][0]
    for k in ("total_cycles", "sram_ifmap_reads", "dram_filter_reads"):
        assert sparse[k] == dense[k], k
    assert "filter_metadata_storage" not in sparse


def test_batch_path_refuses_sparse_layers_by_name():
    config = SystolicConfig(sparsity_support=True)
    with pytest.raises(ValueError, match=r"simulate_batch: .*sparsity_support.*allowed: simulate\(\)"):
        simulate_batch([config], [Layer.gemm("g", 4, 4, 8, sparsity=(1, 2))])
    out = simulate_batch([config], [Layer.gemm("g", 4, 4, 8)])  # dense layers: the batch path as usual
    assert out["total_cycles"][0] > 0


def test_optimized_mapping_validation_uses_scalesims_reasons():
    with pytest.raises(ValueError, match="Dimension mismatch between operands"):
        SystolicConfig(8, 8, "is", sparsity_support=True, optimized_mapping=True)
    with pytest.raises(ValueError, match="Invalid block size"):
        SystolicConfig(4, 8, "ws", sparsity_support=True, optimized_mapping=True, block_size=8)
    with pytest.raises(ValueError, match="needs sparsity_support"):
        SystolicConfig(8, 8, "ws", optimized_mapping=True)
    with pytest.raises(ValueError, match=r"simulate_batch: configs with optimized_mapping"):
        simulate_batch([SystolicConfig(8, 8, "ws", sparsity_support=True, optimized_mapping=True)],
                       [Layer.gemm("g", 4, 4, 8)])
