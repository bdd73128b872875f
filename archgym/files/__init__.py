"""Writing files safely and reading YAML with line numbers (used by every layer that writes results)."""
