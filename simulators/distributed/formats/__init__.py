"""ASTRA-sim 2.x's input files: the analytical network YAML, the system JSON, the remote-memory JSON and the 1.0 text workload format."""

from archgym.simulators.distributed.formats.network_yaml import read_network_yaml
from archgym.simulators.distributed.formats.remote_memory_json import read_remote_memory_json
from archgym.simulators.distributed.formats.system_json import read_system_json
from archgym.simulators.distributed.formats.text_workload import read_text_workload

__all__ = ["read_network_yaml", "read_system_json", "read_text_workload", "read_remote_memory_json"]
