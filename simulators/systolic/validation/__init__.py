"""Side-by-side checks against the real SCALE-Sim (optional ``scalesim`` package)."""
