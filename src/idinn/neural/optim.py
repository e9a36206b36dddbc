r"""Adam and RMSprop as used by neural training, without ``torch.optim``.

The first ``torch.optim`` optimizer of a process imports ``torch._dynamo`` (over a second
on an idle machine), which a fit in a fresh environment would pay. These classes apply the
very same update with the very same tensor operations as torch's single-tensor CPU
implementations (the tests check them bitwise), so results do not change.

Adam (Kingma & Ba 2015, Algorithm 1): :math:`m \leftarrow \beta_1 m + (1-\beta_1) g`,
:math:`v \leftarrow \beta_2 v + (1-\beta_2) g^2`,
:math:`\theta \leftarrow \theta - \frac{\eta}{1-\beta_1^t}\, m / (\sqrt{v}/\sqrt{1-\beta_2^t} + \epsilon)`.
RMSprop (Tieleman & Hinton 2012): :math:`v \leftarrow \alpha v + (1-\alpha) g^2`,
:math:`\theta \leftarrow \theta - \eta\, g / (\sqrt{v} + \epsilon)`.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


class _Optimizer:
    def __init__(self, params: Iterable[torch.Tensor], lr: float) -> None:
        self.params = [p for p in params]
        self.lr = float(lr)
        self.state: list[dict[str, torch.Tensor]] = [{} for _ in self.params]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.detach_()
                p.grad.zero_()


class Adam(_Optimizer):
    """``torch.optim.Adam(params, lr)`` with the default betas (0.9, 0.999) and eps 1e-8."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8):
        super().__init__(params, lr)
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.steps = [0 for _ in self.params]

    @torch.no_grad()
    def step(self) -> None:
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            st = self.state[i]
            if not st:
                st["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                st["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            self.steps[i] += 1
            step = self.steps[i]
            grad = p.grad
            st["exp_avg"].lerp_(grad, 1 - self.beta1)
            st["exp_avg_sq"].mul_(self.beta2).addcmul_(grad, grad.conj(), value=1 - self.beta2)
            bias_correction1 = 1 - self.beta1**step
            bias_correction2 = 1 - self.beta2**step
            step_size = self.lr / bias_correction1
            denom = (st["exp_avg_sq"].sqrt() / bias_correction2**0.5).add_(self.eps)
            p.addcdiv_(st["exp_avg"], denom, value=-step_size)


class RMSprop(_Optimizer):
    """``torch.optim.RMSprop(params, lr)`` with the default alpha 0.99 and eps 1e-8."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8):
        super().__init__(params, lr)
        self.alpha, self.eps = alpha, eps

    @torch.no_grad()
    def step(self) -> None:
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            st = self.state[i]
            if not st:
                st["square_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            grad = p.grad
            st["square_avg"].mul_(self.alpha).addcmul_(grad, grad, value=1 - self.alpha)
            avg = st["square_avg"].sqrt().add_(self.eps)
            p.addcdiv_(grad, avg, value=-self.lr)
