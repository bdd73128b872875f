"""Task-graph SoC model (FARSI-style) on networkx graphs."""
