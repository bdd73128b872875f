"""SCALE-Sim's own file formats: ``.cfg`` configurations and topology CSVs."""
