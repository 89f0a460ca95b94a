"""Component outputs declared once: as annotated attributes of the component class (with their
docstrings, which `pulumi package add` turns into SDK documentation). `register_annotated_outputs`
registers every one under its camelCase name, the spelling of the SDKs and of the program's stack
outputs, so the list is never written out a second time."""

import typing

import pulumi

from .schema import camel_case


def output_names(cls: type) -> list[str]:
    """The attributes `cls` itself declares as `pulumi.Output[...]`, in declaration order."""
    return [name for name, hint in cls.__dict__.get("__annotations__", {}).items() if _is_output(hint)]


def _is_output(hint: object) -> bool:
    if isinstance(hint, str):  # a postponed annotation (`from __future__ import annotations`)
        return hint.startswith(("pulumi.Output[", "Output["))
    return typing.get_origin(hint) is pulumi.Output


def register_annotated_outputs(component: pulumi.ComponentResource) -> None:
    """Register every declared output of `component`, each of which it must have assigned."""
    component.register_outputs({camel_case(name): getattr(component, name) for name in output_names(type(component))})
