"""DDR4/DDR3 memory-controller and device model (trace-driven, cycle-accurate), agreeing with DRAMSys 5.

Modules:
- :mod:`.memspec` -- DRAMSys memspec JSON (organisation, timings, IDD currents);
- :mod:`.addressmap` -- DRAMSys bit-mapping JSON or named schemes; vectorised address decoding;
- :mod:`.mcconfig` -- DRAMSys mcconfig knobs, allowed values and defaults;
- :mod:`.timing` -- the DDR3/DDR4 command timing constraints DRAMSys's checkers enforce;
- :mod:`.controller` -- the numba event loop: player, arbiter, scheduler buffers, bank machines,
  refresh and power-down managers, command multiplexer, response queue;
- :mod:`.power` -- DRAMPower's command analysis and energy equations;
- :mod:`.traces` / :mod:`.tracegen` -- ``.stl`` traces, request arrays and synthetic patterns;
- :mod:`.checker` -- an independent JEDEC command-stream checker (for tests);
- :mod:`.simulation` -- ``simulate(memspec, mcconfig, trace, addressmapping)`` -> metrics.

The numba functions are compiled once and cached on disk (``cache=True``); a first call in a fresh
environment compiles for about half a minute, later processes load the cache in well under a second.
"""
