"""The trap field family: an open grid strewn with traps; walk the agent to the goal without entering one."""

from puzzles.trapfield.family import TrapfieldFamily

__all__ = ["TrapfieldFamily"]
