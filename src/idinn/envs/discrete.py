r"""One flat ``Discrete`` action for the orders of all suppliers (for DQN-style agents)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .._validation import fail

__all__ = ["FlatOrdersWrapper"]


class FlatOrdersWrapper(gym.ActionWrapper):
    r"""Expose a ``MultiDiscrete`` order space as one ``Discrete`` space.

    Action :math:`a \in \{0, \dots, \prod_k n_k - 1\}` means the orders
    ``numpy.unravel_index(a, nvec)`` (row-major: the last supplier varies fastest), with
    :math:`n_k = \bar q_k + 1`. Agents that need a single discrete action (DQN) use it.

    Parameters
    ----------
    env : gymnasium.Env
        An environment with a ``MultiDiscrete`` action space.

    Examples
    --------
    >>> import gymnasium as gym, idinn.envs
    >>> from idinn.envs import FlatOrdersWrapper
    >>> env = FlatOrdersWrapper(gym.make("idinn/DualSourcing-v0"))
    >>> env.action_space, env.action(10).tolist()
    (Discrete(81), [1, 1])
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        space = env.action_space
        if not isinstance(space, spaces.MultiDiscrete) or space.nvec.ndim != 1:
            fail("env", "FlatOrdersWrapper", "an environment with a 1-d MultiDiscrete action space", space, TypeError)
        self.nvec = np.asarray(space.nvec, dtype=np.int64)
        self.action_space = spaces.Discrete(int(np.prod(self.nvec)))

    def action(self, action: Any) -> np.ndarray:
        """Orders (n_suppliers,) int64 of the flat action(s) ``action``."""
        return np.stack(np.unravel_index(np.asarray(action, dtype=np.int64), tuple(self.nvec)), axis=-1)

    def index(self, orders: Any) -> np.ndarray:
        """Flat action of ``orders`` (..., n_suppliers) (the inverse of :meth:`action`)."""
        arr = np.asarray(orders, dtype=np.int64)
        return np.ravel_multi_index(tuple(np.moveaxis(arr, -1, 0)), tuple(self.nvec))
