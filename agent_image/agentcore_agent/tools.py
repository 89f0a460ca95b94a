"""Two small, safe built-in tools so tool use works out of the box.

``calculate`` parses the expression with ``ast`` and evaluates only numbers and arithmetic
operators: no names, calls or attributes, so a prompt cannot make it run code. Sizes are capped so
``9**9**9`` cannot pin a CPU.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from datetime import UTC, datetime

from strands import tool

MAX_EXPRESSION_CHARS = 200
MAX_EXPONENT = 1000
MAX_MAGNITUDE = 10**100

_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[float], float]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}


class CalculationError(ValueError):
    """The expression is not plain arithmetic or is too large to evaluate safely."""


def evaluate(expression: str) -> int | float:
    """Evaluate plain arithmetic (+ - * / // % ** and parentheses) on int and float literals."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise CalculationError(f"expression longer than {MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        raise CalculationError("not a valid arithmetic expression") from None
    try:
        return _evaluate(tree.body)
    except ZeroDivisionError:
        raise CalculationError("division by zero") from None
    except OverflowError:
        raise CalculationError("result too large") from None


def _evaluate(node: ast.expr) -> int | float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return _bounded(node.value)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_evaluate(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
            raise CalculationError(f"exponent larger than {MAX_EXPONENT}")
        return _bounded(_BINARY[type(node.op)](left, right))
    raise CalculationError("only numbers and + - * / // % ** with parentheses are allowed")


def _bounded(value: int | float) -> int | float:
    if isinstance(value, complex) or abs(value) > MAX_MAGNITUDE:
        raise CalculationError("result too large or not a real number")
    if isinstance(value, float) and not math.isfinite(value):
        raise CalculationError("result too large or not a real number")
    return value


@tool
def calculate(expression: str) -> str:
    """Evaluate an arithmetic expression exactly, e.g. "(17 + 4) * 3 / 7".

    Args:
        expression: Numbers with + - * / // % ** and parentheses; nothing else.
    """
    return str(evaluate(expression))


@tool
def current_time() -> str:
    """The current date and time in UTC, ISO 8601 (e.g. 2026-01-31T12:00:00+00:00)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


BUILTIN_TOOLS = [calculate, current_time]
