"""Shared fixtures of the DRAM tests: the reference directory (tests/reference/dram) and its traces."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

REF = Path(__file__).resolve().parents[1] / "reference" / "dram"
CONFIGS = REF / "configs"
MEMSPEC = CONFIGS / "memspec_ddr4_8Gb_x8_2400.json"
MAPPING = CONFIGS / "addressmapping_rochrababgco.json"
TRACES = REF / "traces"


@pytest.fixture(scope="session")
def reference_traces(tmp_path_factory) -> Path:
    """The 15 reference .stl traces, decompressed into a temp dir, each checked against the manifest's sha256."""
    manifest = json.loads((TRACES / "manifest.json").read_text())
    assert len(manifest["files"]) == 15
    out = tmp_path_factory.mktemp("dram_traces")
    for name, info in manifest["files"].items():
        data = gzip.decompress((TRACES / info["file"]).read_bytes())
        assert hashlib.sha256(data).hexdigest() == info["sha256"], f"{name}: sha256 differs from the manifest"
        (out / name).write_bytes(data)
    return out


@pytest.fixture(scope="session")
def mcconfigs() -> dict[str, dict]:
    """variant name -> full mcconfig (base + the variant's overrides), as the reference ran them."""
    base = json.loads((CONFIGS / "mcconfig_base.json").read_text())
    variants = json.loads((CONFIGS / "mcconfig_variants.json").read_text())
    return {name: {**base, **over} for name, over in variants.items()}
