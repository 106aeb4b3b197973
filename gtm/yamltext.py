"""YAML the user hands us (a mapping file, a target definition), read safely.

Why a module of its own: two readers take YAML from users and both must refuse what a
plain `safe_load` would still expand: anchors and aliases (a 1.9 KB "billion laughs"
becomes billions of nodes). The loader here refuses them with the line, and says what
kind of document it was reading.
"""

from __future__ import annotations

import yaml


class NoAliases(yaml.SafeLoader):
    """safe_load without anchors and aliases; `what` names the document in the refusal."""

    what = "this file"

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent) or getattr(self.peek_event(), "anchor", None):
            event = self.peek_event()
            raise yaml.YAMLError(f"line {event.start_mark.line + 1}: anchors and aliases "
                                 f"(&name, *name) are not accepted in {self.what}")
        return super().compose_node(parent, index)


def loader(what: str) -> type[NoAliases]:
    """A NoAliases loader whose refusals name `what` ('a mapping file')."""
    return type("NoAliasesIn", (NoAliases,), {"what": what})
