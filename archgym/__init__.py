"""archgym: a gymnasium for machine-learning-assisted computer-architecture design.

Importing the package registers every environment id with gymnasium, so
``gymnasium.make("archgym/SystolicArray-v0", workload="resnet18")`` works after ``import archgym``.
"""

import gymnasium as _gym

from archgym.envs import ENVIRONMENTS
from archgym.spaces import Categorical, DesignError, DesignSpace, Integer, Ordinal, PowerOfTwo, Real

__version__ = "0.1.0"


def _register() -> None:
    for env_id, entry_point in ENVIRONMENTS.items():
        if env_id not in _gym.registry:
            _gym.register(id=env_id, entry_point=entry_point)


_register()

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
