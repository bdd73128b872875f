"""Exact hypervolume against an independent formula: inclusion-exclusion over every subset of points
(the union of the boxes [ref, p]), and against areas worked out by hand."""

import itertools

import numpy as np
import pytest

from archgym.benchmark.hypervolume import hypervolume, normalised_hypervolume


def inclusion_exclusion(points: np.ndarray, ref: np.ndarray) -> float:
    """Volume of the union of the boxes [ref, p] (maximisation): sum over subsets of (-1)^(k+1) x the
    volume of their intersection, the box [ref, min of the subset]."""
    total = 0.0
    pts = [p for p in points if (p > ref).all()]
    for k in range(1, len(pts) + 1):
        for subset in itertools.combinations(pts, k):
            corner = np.min(subset, axis=0)
            total += (-1) ** (k + 1) * float(np.prod(corner - ref))
    return total


def test_a_staircase_by_hand():
    # (1,3), (2,2), (3,1) above (0,0): 3x1 + 2x1 + 1x1 = 6
    assert hypervolume(np.array([[1, 3], [2, 2], [3, 1]]), np.zeros(2)) == 6.0
    # one 3-D box 2 x 3 x 4, and a dominated point inside it that adds nothing
    assert hypervolume(np.array([[2, 3, 4], [1, 1, 1]]), np.zeros(3)) == 24.0


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("seed", range(8))
def test_equals_inclusion_exclusion_exactly_on_random_sets(d, seed):
    rng = np.random.default_rng([d, seed])
    pts = rng.integers(-2, 9, size=(int(rng.integers(1, 10)), d)).astype(float)
    ref = np.full(d, -1.0)
    assert hypervolume(pts, ref) == pytest.approx(inclusion_exclusion(pts, ref), rel=1e-12, abs=1e-12)


def test_points_not_beyond_the_reference_count_nothing():
    assert hypervolume(np.array([[0.0, 5.0], [-1.0, 9.0]]), np.zeros(2)) == 0.0


def test_normalised_hypervolume_is_one_for_the_front_itself_and_less_for_part_of_it():
    front = np.array([[1.0, 3.0, 0.5], [2.0, 2.0, 1.0], [3.0, 1.0, 0.2]])
    assert normalised_hypervolume(front, front) == pytest.approx(1.0, abs=1e-12)
    part = normalised_hypervolume(front[:1], front)
    assert 0 < part < 1
    assert normalised_hypervolume(np.empty((0, 3)), front) == 0.0


def test_a_found_point_beyond_the_true_front_is_an_error():
    front = np.array([[1.0, 1.0]])
    with pytest.raises(ValueError, match="not the true one"):
        normalised_hypervolume(np.array([[2.0, 2.0]]), front)


def test_bad_shapes_are_refused_with_the_shapes():
    with pytest.raises(ValueError, match=r"\(3,\) and \(2,\)"):
        hypervolume(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="1 to 3 objectives, got 4"):
        hypervolume(np.zeros((2, 4)), np.zeros(4))
