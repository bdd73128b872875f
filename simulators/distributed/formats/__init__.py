"""ASTRA-sim 2.x's input files: the analytical network YAML and the system JSON."""

from archgym.simulators.distributed.formats.network_yaml import read_network_yaml
from archgym.simulators.distributed.formats.system_json import read_system_json

__all__ = ["read_network_yaml", "read_system_json"]
