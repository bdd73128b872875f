"""Area from the Accelergy ART shipped beside each exercise's ref-output, against the area Timeloop printed.

Timeloop's stats give each storage level's area of one instance and the MAC's ``Area (total)``
(instances x per instance), printed from single-precision floats: compared within 1e-6 relative (and
the printed 0.01 um^2). The Timeloop of 2020 also printed ``Total topology area`` (storage and MACs):
the sum over components of instances x per instance must equal it within the same tolerance.
"""

import pytest

from archgym.simulators.dataflow.timeloop.area import area, read_art
from archgym.simulators.dataflow.timeloop.evaluation import load_spec, read_stats
from archgym.simulators.dataflow.timeloop.tagged_yaml import SpecError

from .test_timeloop_exercises import RUNS, RUNS_2020, TL

ALL = [pytest.param(*r.values, id=r.id) for r in RUNS] + [pytest.param(*r.values, None, id=r.id) for r in RUNS_2020]


def _close(ours, theirs):
    return ours == pytest.approx(theirs, rel=1e-6, abs=0.006)


@pytest.mark.filterwarnings("ignore:.*problem.instance key.*:UserWarning")
@pytest.mark.parametrize("files, stats_path, jinja", ALL)
def test_area_per_component_equals_timeloop_within_1e_6(files, stats_path, jinja):
    art_path = next(stats_path.parent.glob("*.ART.yaml"))
    spec = load_spec(files, jinja_variables=jinja)
    res = area(spec.hierarchy, read_art(art_path), str(art_path))
    ref = read_stats(stats_path)
    mac = spec.hierarchy.compute.name
    assert set(res.components) == {lv.name for lv in spec.hierarchy.levels if not lv.dummy} | {mac}
    for name, c in res.components.items():
        if name == mac:
            assert _close(c.total_um2, ref.levels[name].values["area_total_um2"]), f"{name} area (total), 1e-6"
        else:
            assert _close(c.per_instance_um2, ref.levels[name].values["area_um2"]), f"{name} area per instance, 1e-6"
    if ref.topology_area_um2 is not None:
        assert _close(res.total_um2, ref.topology_area_um2), "total topology area (tolerance 1e-6)"
    assert res.total_um2 > 0


def test_art_that_disagrees_with_the_architecture_is_refused(tmp_path):
    ex = TL / "06-mapper-convlayer-eyeriss"
    spec = load_spec([ex / "arch/eyeriss_like.yaml", ex / "prob/VGG02_layer5.yaml",
                      ex / "ref-output/timeloop-mapper.map.yaml"])
    text = (ex / "ref-output/timeloop-mapper.ART.yaml").read_text()
    bad = tmp_path / "a.ART.yaml"
    bad.write_text(text.replace("psum_spad[1..168]", "psum_spad[1..84]"))
    with pytest.raises(SpecError, match=r"'psum_spad' has 84 instances in the ART but 168 in the architecture"):
        area(spec.hierarchy, read_art(bad), str(bad))
    bad.write_text(text.replace("psum_spad[1..168]", "psum_pad[1..168]"))
    with pytest.raises(SpecError, match=r"no area for component 'psum_spad'"):
        area(spec.hierarchy, read_art(bad), str(bad))
    bad.write_text(text.replace("area: 191.82", "area: -1"))
    with pytest.raises(SpecError, match=r"area = -1 must be a number >= 0"):
        read_art(bad)
