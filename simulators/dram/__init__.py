"""DDR4/DDR3 memory-controller and device model (trace-driven, cycle-accurate)."""
