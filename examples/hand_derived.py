"""f(x, y) = x**3 + y**2 with hand-written backwards: two wrong, one right.

The classes live at module level so that tools (and `diffcli gradcheck`) can import
them by name:

- `WrongCountCube`: backward returns ONE tensor [3x^2, 0] for the two inputs; the
  engine refuses it with "incorrect number of gradients (expected 2, got 1)".
- `WrongGradCube`: backward returns (3x^2, 0), the right count but a wrong df/dy;
  gradcheck catches it.
- `CorrectCube`: backward returns (3x^2, 2y); gradcheck passes.

Run: python examples/hand_derived.py
"""

import diffcli as dc
from diffcli import autograd


class _CubePlusSquare(autograd.Function):
    """Shared forward: x**3 + y**2; subclasses differ only in their backward."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x**3 + y**2


class WrongCountCube(_CubePlusSquare):
    """Wrong: packs both gradients into one tensor, so the engine counts one."""

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved_tensors
        return dc.cat([3 * x**2 * grad_out, dc.zeros_like(y)])


class WrongGradCube(_CubePlusSquare):
    """Wrong: right count, but claims df/dy = 0."""

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved_tensors
        return 3 * x**2 * grad_out, dc.zeros_like(y)


class CorrectCube(_CubePlusSquare):
    """Right: df/dx = 3x^2, df/dy = 2y."""

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved_tensors
        return 3 * x**2 * grad_out, 2 * y * grad_out


def main() -> None:
    x = dc.tensor([2.0], requires_grad=True)
    y = dc.tensor([3.0], requires_grad=True)

    z = CorrectCube.apply(x, y)
    z.backward()
    print("CorrectCube f(2, 3) =", z.item())
    print("CorrectCube df/dx =", x.grad.item())
    print("CorrectCube df/dy =", y.grad.item())

    try:
        WrongCountCube.apply(x, y).backward()
    except RuntimeError as err:
        print("WrongCountCube error =", err)

    for cls in (CorrectCube, WrongGradCube):
        ok = autograd.gradcheck(cls.apply, (x, y), raise_exception=False)
        print(f"gradcheck({cls.__name__}) =", ok)


if __name__ == "__main__":
    main()
