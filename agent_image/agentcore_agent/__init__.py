"""Building blocks of the agent container; ``agent.py`` beside this package wires them into ``app``."""
