"""idinn: inventory-dynamics control with neural networks."""

__version__ = "1.0.0.dev0"

from ._controller import load_controller  # noqa: E402
from ._validation import NotFittedError  # noqa: E402

__all__ = ["load_controller", "NotFittedError", "__version__"]
