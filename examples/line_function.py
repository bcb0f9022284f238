"""PyTorch's `Line` custom Function (w * x + b), ported by changing only the import.

Run: python examples/line_function.py
"""

import diffcli as dc
from diffcli import autograd


class Line(autograd.Function):
    """out = w * x + b, elementwise, with its gradient written by hand."""

    @staticmethod
    def forward(ctx, w, x, b):
        ctx.save_for_backward(w, x, b)
        return w * x + b

    @staticmethod
    def backward(ctx, grad_out):
        w, x, b = ctx.saved_tensors
        return grad_out * x, grad_out * w, grad_out


def main() -> None:
    w = dc.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x = dc.tensor([[5.0, 6.0], [7.0, 8.0]], requires_grad=True)
    b = dc.tensor([[0.5, 0.5], [0.5, 0.5]], requires_grad=True)
    out = Line.apply(w, x, b)
    out.backward(dc.ones(2, 2))
    print("out =", out.tolist())
    print("grad_fn =", out.grad_fn.name())
    print("w.grad =", w.grad.tolist())
    print("x.grad =", x.grad.tolist())
    print("b.grad =", b.grad.tolist())


if __name__ == "__main__":
    main()
