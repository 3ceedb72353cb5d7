"""A checkbox that reads the same without colour.

Textual's Checkbox draws ``▐X▌`` whether it is on or off and tells them apart by colour
alone, so under ``NO_COLOR`` (or on a monochrome terminal) every box looks ticked. This one
draws ``[X]`` when on and ``[ ]`` when off, in the same colours as before.
"""

from __future__ import annotations

from textual.widgets import Checkbox


class CheckBox(Checkbox):
    BUTTON_LEFT = "["
    BUTTON_RIGHT = "]"

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # noqa: N802 (Textual's name)
        return "X" if self.value else " "
