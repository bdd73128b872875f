"""The registered environments: one line per id, id -> entry point. A new environment is one
file in this folder plus one line here."""

ENVIRONMENTS: dict[str, str] = {
    "archgym/SystolicArray-v0": "archgym.envs.systolic:SystolicArrayEnv",
    "archgym/Synthetic-v0": "archgym.envs.synthetic:SyntheticEnv",
    "archgym/SoC-v0": "archgym.envs.soc:SoCEnv",
    "archgym/SoC-v1": "archgym.envs.soc:SoCV1Env",
    "archgym/DRAM-v0": "archgym.envs.dram:DRAMEnv",
    "archgym/DRAM-v1": "archgym.envs.dram:DRAMV1Env",
    "archgym/Dataflow-v0": "archgym.envs.dataflow:DataflowEnv",
    "archgym/Mapping-v0": "archgym.envs.mapping:MappingEnv",
    "archgym/DistributedTraining-v0": "archgym.envs.distributed:DistributedTrainingEnv",
}
