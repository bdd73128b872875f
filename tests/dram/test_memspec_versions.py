"""Issue 19 item 1 (memspecs): DRAMSys's memspecs in every format it has written are read, and the
same device gives the same description in each (DRAMSys's own converted files are the reference);
every DDR3/DDR4/LPDDR4/HBM2 memspec DRAMSys ships today simulates, the other standards are refused by name."""

import json
import math
import warnings
from pathlib import Path

import pytest

from archgym.simulators.dram.addressmap import AddressMappingError
from archgym.simulators.dram.memspec import MemSpecError, load_memspec, memspec_from_dict
from archgym.simulators.dram.simulation import simulate

REF = Path(__file__).resolve().parents[1] / "reference"
R = REF / "dramsys_memspecs"
MAIN = REF / "dramsys_configs" / "memspec"
DEVICES = ["JEDEC_4Gb_DDR4-2400_8bit_A", "MICRON_4Gb_DDR4-1866_8bit_A", "MICRON_1Gb_DDR3-1600_8bit_G",
           "MICRON_2Gb_DDR3-1066_8bit_D"]
FIELDS = ["memory_type", "ranks", "banks_per_rank", "bank_groups_per_rank", "rows", "columns", "device_width",
          "devices_per_rank", "burst_length", "data_rate", "tck_ps", "timing", "power"]


def _quiet_load(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_memspec(path)


@pytest.mark.parametrize("device", DEVICES)
def test_the_three_formats_of_one_device_give_the_same_device(device):
    v50, dev, main = (_quiet_load(p / f"{device}.json") for p in (R / "v5.0", R / "dev-2024", MAIN))
    for f in FIELDS:
        assert getattr(v50, f) == getattr(dev, f) == getattr(main, f), f"{device}: {f} differs between DRAMSys formats"
    assert "clkMhz" in json.loads((R / "v5.0" / f"{device}.json").read_text())["memspec"]["memtimingspec"]


def test_a_clock_given_in_mhz_rounds_to_whole_picoseconds_as_systemc_does():
    assert _quiet_load(R / "v5.0" / "JEDEC_4Gb_DDR4-2400_8bit_A.json").tck_ps == 833  # 1200 MHz
    assert _quiet_load(R / "v5.0" / "MICRON_4Gb_DDR4-1866_8bit_A.json").tck_ps == 1072  # 933 MHz: 1071.8 ps


def _small_trace(path: Path) -> Path:
    lines = [f"{4 * i}:\t{'write' if i % 3 == 0 else 'read'}\t0x{(i * 4160) % (1 << 20) // 64 * 64:x}\n" for i in range(400)]
    path.write_text("".join(lines))
    return path


def test_every_shipped_ddr3_ddr4_lpddr4_hbm2_memspec_simulates_and_the_rest_are_refused_by_standard(tmp_path):
    """DDR3/DDR4 energy is DRAMPower's (finite); LPDDR4/HBM2 energy is finite where the memspec gives every
    current it needs and NaN (with a warning) where it does not."""
    trace = _small_trace(tmp_path / "t.stl")
    read, refused, nan_energy = [], {}, []
    for f in sorted(MAIN.glob("*.json")):
        standard = json.loads(f.read_text())["memspec"]["memoryType"]
        try:
            _quiet_load(f)
        except MemSpecError as e:
            if f.name == "MICRON_6Gb_LPDDR4-3200_32bit_A.json":  # LPDDR3-era timings: RCab, SR, XSR, CMDCKE... are 0
                assert "field memtimingspec.CMDCKE is 0; allowed: an integer >= 1" in str(e)
                continue
            assert f"memoryType is {standard!r}; allowed: ['DDR3', 'DDR4', 'LPDDR4', 'HBM2']" in str(e) and f.name in str(e)
            refused[f.name] = standard
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = simulate(f, None, trace)
        energy = res.metrics["energy_pJ"]
        if standard in ("LPDDR4", "HBM2") and math.isnan(energy):
            assert any("energy and power are reported as NaN" in str(w.message) for w in caught), f.name
            nan_energy.append(f.name)
        else:
            assert math.isfinite(energy) and energy > 0, f"{f.name}: energy {energy}"
        assert res.metrics["total_cycles"] > 0
        read.append(f.name)
    assert len(read) == 50 and len(refused) == 9, (len(read), sorted(set(refused.values())))
    assert set(refused.values()) == {"WIDEIO_SDR", "WIDEIO2", "DDR2", "STT-MRAM"}
    # HBM2.json gives no currents, the JEDEC 512Mbx16/1Gbx16 LPDDR4 files only zeros (placeholders)
    placeholders = sorted(f.name for f in MAIN.glob("JEDEC_*Mbx16_LPDDR4-*.json")) + sorted(
        f.name for f in MAIN.glob("JEDEC_*Gbx16_LPDDR4-*.json"))
    assert len(placeholders) == 16 and sorted(nan_energy) == sorted(["HBM2.json", *placeholders]), nan_energy


def test_rows_that_are_not_a_power_of_two_take_ceil_log2_row_bits_as_in_dramsys(tmp_path):
    """A 6 Gb device has 49,152 rows: DRAMSys main maps ceil(log2(49152)) = 16 row bits to them
    (AddressDecoder::checkMemSpecCompatibility), so the 8 Gb LPDDR4 mapping (16 row bits) fits it, and
    a 15-bit mapping is refused with the count it needs. (The shipped MICRON_6Gb_LPDDR4 memspec has
    zero timings and is refused for those; here the JEDEC 8 Gb memspec is given 49,152 rows.)"""
    data = json.loads((MAIN / "JEDEC_8Gb_LPDDR4-3200_16bit.json").read_text())
    data["memspec"]["memarchitecturespec"]["nbrOfRows"] = 49152
    spec = tmp_path / "six_gb.json"
    spec.write_text(json.dumps(data))
    am = MAIN.parent / "addressmapping" / "am_lpddr4_8Gbx16_brc.json"
    trace = _small_trace(tmp_path / "t.stl")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the JEDEC file's placeholder currents: energy NaN, warned
        res = simulate(spec, None, trace, am)
        ref = simulate(MAIN / "JEDEC_8Gb_LPDDR4-3200_16bit.json", None, trace, am)
    assert res.metrics["total_cycles"] == ref.metrics["total_cycles"] > 0  # rows below 49,152 only
    bits = json.loads(am.read_text())
    bits["addressmapping"]["ROW_BIT"] = bits["addressmapping"]["ROW_BIT"][:-1]
    short = tmp_path / "am15.json"
    short.write_text(json.dumps(bits))
    with pytest.raises(AddressMappingError, match=r"ROW_BIT has 15 bit\(s\) addressing 32768; .* needs 49152 \(16 bit\(s\)\)"):
        simulate(spec, None, trace, short)


def test_currents_that_the_earlier_drampower_lacks_are_named_in_a_warning():
    with pytest.warns(UserWarning, match=r"mempowerspec iBeta_vdd, iBeta_vpp, ipp2p, ipp3p not used"):
        load_memspec(MAIN / "JEDEC_4Gb_DDR4-2400_8bit_A.json")


def _main_dict(device="MICRON_1Gb_DDR3-1600_8bit_G"):
    return json.loads((MAIN / f"{device}.json").read_text())["memspec"]


def test_a_memspec_without_power_figures_warns_that_energy_is_zero():
    d = _main_dict()
    d.pop("mempowerspec")
    with pytest.warns(UserWarning, match=r"x.json: the memspec has no power figures .* energy and power are reported as 0"):
        memspec_from_dict(d, "x.json")


@pytest.mark.parametrize("timing, match", [
    ({"tCK": -1e-9}, r"memtimingspec.tCK is -1e-09; allowed: a positive number"),
    ({"tCK": 5}, r"memtimingspec.tCK is 5; allowed: seconds \(e.g. 833e-12\) or picoseconds"),
    ({"tCK": 1.25e-9, "clkMhz": 1000}, r"tCK \(1.25e-09\) and clkMhz \(1000\) give different clocks"),
    ({"tCK": None}, r"memtimingspec.tCK is missing \(give tCK, in seconds or picoseconds, or clkMhz\)"),
])
def test_bad_clocks_are_refused_naming_the_field(timing, match):
    d = _main_dict()
    t = {**d["memtimingspec"], **timing}
    t = {k: v for k, v in t.items() if v is not None}
    with pytest.raises(MemSpecError, match=match):
        memspec_from_dict({**d, "memtimingspec": t}, "x.json")


def test_a_refresh_mode_without_its_rfc_is_refused():
    d = _main_dict("MICRON_4Gb_DDR4-1866_8bit_A")
    with pytest.raises(MemSpecError, match=r"REFM is 2 but RFC2 is 0"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            memspec_from_dict({**d, "memtimingspec": {**d["memtimingspec"], "REFM": 2}}, "x.json")
