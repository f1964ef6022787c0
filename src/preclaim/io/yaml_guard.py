"""YAML from files a user may write (policies, a clinic's drug files): PyYAML's safe loading, with limits on what
would otherwise crash or hang, each refused with its line: nesting deeper than MAX_YAML_DEPTH (the recursion
limit), more than MAX_YAML_NODES values once aliases are expanded (a "billion laughs" file stays small on disk
but not once converted), integers of more than MAX_INT_DIGITS digits (int() refuses 4,300 with a ValueError).

libyaml's C loader reads a file when PyYAML has it and a first look at the file's events (in C too) finds it
within the limits and without aliases: the bundled policies load in 13 ms against 85
(benchmarks/policy_load.py), a fifth of a command's start. Anything else, an error included, is read again by
the pure-Python loader, which says what is wrong and on which line, as on a machine without libyaml (libyaml
itself stops nesting past 1,000 levels).
"""

from __future__ import annotations

import contextlib
from typing import Any

import yaml

MAX_YAML_DEPTH = 64  # policies and drug files nest a few levels
MAX_YAML_NODES = 1_000_000
MAX_INT_DIGITS = 30  # no policy or drug number needs 30
LIBYAML = hasattr(yaml, "CSafeLoader")


class _Guarded(yaml.SafeLoader):
    """SafeLoader that refuses, with the line, deep nesting and alias bombs (integers: `_construct_int`)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self._depth >= MAX_YAML_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_YAML_DEPTH} levels deep", mark)
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node is not None and id(node) not in self._sizes:
            self._sizes[id(node)] = size = 1 + sum(self._sizes.get(id(child), 1) for child in _children(node))
            if size > MAX_YAML_NODES:
                raise yaml.composer.ComposerError(
                    None, None, f"more than {MAX_YAML_NODES:,} values once aliases are expanded", node.start_mark
                )
        return node


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    digits = sum(c.isdigit() for c in str(node.value))
    if digits > MAX_INT_DIGITS:
        raise yaml.constructor.ConstructorError(
            None, None, f"an integer of {digits} digits; at most {MAX_INT_DIGITS}", node.start_mark
        )
    value: int = loader.construct_yaml_int(node)
    return value


class _Fast(getattr(yaml, "CSafeLoader", _Guarded)):  # type: ignore[misc]
    """The same loading with libyaml's C parser and composer (used only after `_plain`)."""


class _GuardedText(_Guarded):
    """Dates left as text (a policy's: msgspec parses them and names the key of an impossible date)."""


class _FastText(_Fast):
    """`_Fast` with dates left as text."""


_NO_DATES = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_GuardedText.yaml_implicit_resolvers = _NO_DATES
_FastText.yaml_implicit_resolvers = _NO_DATES
for _loader in (_Guarded, _Fast, _GuardedText, _FastText):
    _loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_OPENS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSES = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def load_yaml(text: str, *, dates: bool = True) -> Any:
    """The YAML document in `text`, within the limits (yaml.YAMLError with its mark past them); `dates`: an
    unquoted date is a datetime.date, else it stays text."""
    guarded, fast = (_Guarded, _Fast) if dates else (_GuardedText, _FastText)
    if LIBYAML and _plain(text, fast):
        with contextlib.suppress(yaml.YAMLError):
            return yaml.load(text, Loader=fast)
    return yaml.load(text, Loader=guarded)


def _plain(text: str, fast: type[Any]) -> bool:
    """True when the document nests fewer than MAX_YAML_DEPTH levels, has fewer than MAX_YAML_NODES values
    and no alias (which only the pure-Python loader counts as expanded)."""
    depth = nodes = 0
    try:
        for event in yaml.parse(text, Loader=fast):
            if isinstance(event, _OPENS):
                depth += 1
                nodes += 1
                if depth >= MAX_YAML_DEPTH - 1:
                    return False
            elif isinstance(event, _CLOSES):
                depth -= 1
            elif isinstance(event, yaml.ScalarEvent):
                nodes += 1
            elif isinstance(event, yaml.AliasEvent):
                return False
    except yaml.YAMLError:
        return False
    return nodes < MAX_YAML_NODES
