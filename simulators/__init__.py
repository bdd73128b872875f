"""Pure cost models (installed as ``archgym.simulators``).

A simulator takes a plain configuration and a workload and returns metrics. Nothing here imports
gymnasium, ``archgym`` outside this package, or the agents.
"""
