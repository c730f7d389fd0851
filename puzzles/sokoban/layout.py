"""The sokoban layout: the grid layout contract plus the boxes and the targets.

:class:`SokobanLayout` extends :class:`puzzles.grid.GridLayout` so every grid
tool (cell geometry, wall mask, canonical warping) reads it unchanged. Its
``start`` and ``agent_box`` are the player's; ``goal`` and ``goal_box`` are
the first target's (VR-Bench calls the target the goal). Boxes and targets are
listed apart from ``cells``, which hold only walls and floor: a box moves, and
a target is floor with a mark on it. ``box_boxes`` and ``target_boxes`` are the
sprites' pixel boxes in ``frame0.png``, in the order of ``boxes`` and ``targets``.
"""

from __future__ import annotations

from pydantic import model_validator

from puzzles.grid import Box, Cell, GridLayout


class SokobanLayout(GridLayout):
    boxes: list[Cell]
    targets: list[Cell]
    box_boxes: list[Box]
    target_boxes: list[Box]

    @model_validator(mode="after")
    def _pieces(self) -> SokobanLayout:
        if not self.boxes or len(self.boxes) != len(self.targets):
            raise ValueError(f"a sokoban layout needs as many targets as boxes (at least one), got "
                             f"{len(self.boxes)} boxes and {len(self.targets)} targets")
        if len(self.box_boxes) != len(self.boxes) or len(self.target_boxes) != len(self.targets):
            raise ValueError("box_boxes and target_boxes must give one pixel box per box and per target")
        for name, cells in (("box", self.boxes), ("target", self.targets)):
            for cell in cells:
                if not self.is_open(cell):
                    raise ValueError(f"{name} {tuple(cell)} is not on a free cell of the grid")
        if len(set(self.boxes)) != len(self.boxes) or self.start in self.boxes:
            raise ValueError("boxes and the player must stand on different cells")
        if self.goal != self.targets[0]:
            raise ValueError(f"goal {self.goal} must be the first target {self.targets[0]}")
        return self
