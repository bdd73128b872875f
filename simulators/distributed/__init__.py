"""A model of ASTRA-sim 2.x's system layer and analytical network backends (installed as ``archgym.simulators.distributed``).

The network (``network.py``) and the system knobs (``system.py``) as ASTRA-sim's network YAML and
system JSON describe them (readers in ``formats/``), and the time of one collective
(``collective.py``) on the congestion-unaware and congestion-aware backends: closed forms where every
NPU is in the same position (``chunking``, ``logical``, ``phases``, ``algorithms``, ``scheduler``), and
an event-level model of every NPU (``events/``) elsewhere; and workloads as graphs of compute and
collective nodes (``workload.py``); ``run_astrasim`` (``astrasim.py``) runs ASTRA-sim's own input files, Chakra traces
(``formats/chakra_et.py``) included. Exact to the nanosecond on all 878 reference runs of ASTRA-sim 2.x
(866 single collectives, 12 training workloads; tests/reference/astrasim/).
"""

from archgym.simulators.distributed.astrasim import AstraSimResult, run_astrasim
from archgym.simulators.distributed.collective import collective_finish_ns, collective_from_files, collective_ns
from archgym.simulators.distributed.events import simulate_collective
from archgym.simulators.distributed.network import Dimension, Network
from archgym.simulators.distributed.system import Implementation, SystemConfig
from archgym.simulators.distributed.workload import WorkloadNode, WorkloadResult, schedule_workload

__all__ = ["Dimension", "Network", "Implementation", "SystemConfig", "collective_ns", "collective_finish_ns", "collective_from_files",
           "simulate_collective", "WorkloadNode", "WorkloadResult", "schedule_workload",
           "run_astrasim", "AstraSimResult"]
