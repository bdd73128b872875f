"""Loop-nest dataflow accelerator model: architecture, workload and mapping specifications, access counts, cost, mapper."""
