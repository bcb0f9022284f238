"""A `MySquare` custom Function: x**2 with the gradient 2x written by hand.

Because the backward is written in tensor ops, it can be differentiated again.
Run: python examples/square_function.py
"""

import diffcli as dc
from diffcli import autograd


class MySquare(autograd.Function):
    """y = x**2, dy/dx = 2x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**2

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return 2 * x * grad_out


def main() -> None:
    x = dc.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = MySquare.apply(x)
    y.sum().backward()
    print("y =", y.tolist())
    print("x.grad =", x.grad.tolist())
    (first,) = autograd.grad(MySquare.apply(x).sum(), x, create_graph=True)
    (second,) = autograd.grad(first.sum(), x)
    print("second derivative =", second.tolist())
    print("gradcheck =", autograd.gradcheck(MySquare.apply, (x,)))


if __name__ == "__main__":
    main()
