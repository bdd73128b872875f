"""Distributed-training and inference workloads of transformers, generated without trace files.

``models`` (shapes of GPT-3, LLaMA, ViT, cited), ``accelerator`` (roofline), ``operators`` (FLOPs and
bytes per operator), ``parallelism`` (tensor, sequence, data and pipeline groups on the network
dimensions), ``memory`` (ZeRO model states, activations, KV cache), ``chain`` (one micro-batch scheduled
as ASTRA-sim's workload layer does) and ``iteration`` (one training iteration or inference step).
"""

from archgym.simulators.distributed.llm.accelerator import ACCELERATORS, Accelerator, accelerator
from archgym.simulators.distributed.llm.iteration import PHASES, InfeasibleParallelism, IterationResult, iteration
from archgym.simulators.distributed.llm.memory import MemoryEstimate, inference_memory, training_memory
from archgym.simulators.distributed.llm.models import MODELS, TransformerModel, model
from archgym.simulators.distributed.llm.parallelism import LayoutError, Parallelism, group_networks

__all__ = ["ACCELERATORS", "Accelerator", "accelerator", "PHASES", "InfeasibleParallelism", "IterationResult", "iteration",
           "MemoryEstimate", "inference_memory", "training_memory", "MODELS", "TransformerModel", "model",
           "LayoutError", "Parallelism", "group_networks"]
