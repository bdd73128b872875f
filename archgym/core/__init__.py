"""The design vocabulary, written once: design spaces, rewards, the Backend protocol and the environment base.

Only :mod:`.env` and :mod:`.gym_spaces` import gymnasium; :mod:`.spaces`, :mod:`.rewards` and
:mod:`.backend` are numpy-only so that agents can use them without loading gymnasium.
"""
