"""archgym: a gymnasium for machine-learning-assisted computer-architecture design.

``import archgym`` registers every environment id with gymnasium, so
``gymnasium.make("archgym/SystolicArray-v0", workload="resnet18")`` works after it; gymnasium
itself is not imported until something uses it (see :mod:`archgym.registration`).
"""

from archgym.core.spaces import Categorical, DesignError, DesignSpace, Integer, Ordinal, PowerOfTwo, Real
from archgym.envs import ENVIRONMENTS
from archgym.moved import install as _install_moved_names
from archgym.registration import register_when_gymnasium_loads

__version__ = "0.2.0"

register_when_gymnasium_loads()
_install_moved_names()

__all__ = [
    "ENVIRONMENTS",
    "Categorical",
    "DesignError",
    "DesignSpace",
    "Integer",
    "Ordinal",
    "PowerOfTwo",
    "Real",
    "__version__",
]
