"""How every bench prints a figure: the figure, its target, and whether it was met, computed.

print(figure_line("hook steady", f"{rate:.1f} orders/s", f">= {TARGET} orders/s", rate >= TARGET))
"""

from __future__ import annotations


def verdict(met: bool) -> str:
    """``met`` or ``NOT met``."""
    return "met" if met else "NOT met"


def figure_line(name: str, figure: str, target: str, met: bool) -> str:
    """``name: figure; target: ...; met`` (the verdict computed by the caller from the numbers)."""
    return f"{name}: {figure}; target: {target}; {verdict(met)}"
