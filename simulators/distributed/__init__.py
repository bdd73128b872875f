"""A model of ASTRA-sim 2.x's system layer and analytical network backends (installed as ``archgym.simulators.distributed``).

The network (``network.py``) and the system knobs (``system.py``) as ASTRA-sim's network YAML and
system JSON describe them (readers in ``formats/``), and the time of one collective
(``collective.py``), exact to the nanosecond against the real simulator on the reference rows.
"""

from archgym.simulators.distributed.collective import collective_ns
from archgym.simulators.distributed.network import Dimension, Network
from archgym.simulators.distributed.system import Implementation, SystemConfig

__all__ = ["Dimension", "Network", "Implementation", "SystemConfig", "collective_ns"]
