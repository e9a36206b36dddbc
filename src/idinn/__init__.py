"""idinn: inventory-dynamics control with neural networks."""

__version__ = "1.0.0.dev0"
