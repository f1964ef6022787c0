"""Da Vinci CRD configuration: the options each service advertises in discovery
(`extension["davinci-crd.configuration-options"]`) and the client's choices in a call
(`extension["davinci-crd.configuration"]`). The client need not send any; unknown keys are ignored.
"""

from __future__ import annotations

from typing import Any

from preclaim.api.cds_models import Action, Card

EXTENSION = "davinci-crd.configuration-options"
CONFIG = "davinci-crd.configuration"
# One boolean per response type we return (card topic codes), plus the annotation itself.
OPTIONS: tuple[dict[str, Any], ...] = (
    {
        "code": "coverage-info",
        "type": "boolean",
        "name": "Coverage information",
        "description": "Annotate B12 orders with the CRD coverage-information extension (systemAction)",
        "default": True,
    },
    {
        "code": "limits",
        "type": "boolean",
        "name": "Not covered as ordered",
        "description": "Cards when the order is not covered by the patient's plan",
        "default": True,
    },
    {
        "code": "claim",
        "type": "boolean",
        "name": "Order problems",
        "description": "Cards for dose, frequency, code or diagnosis problems the order can still fix",
        "default": True,
    },
    {
        "code": "therapy-alternatives-opt",
        "type": "boolean",
        "name": "Dose alternatives",
        "description": "Cards proposing a dose that needs no prior authorization",
        "default": True,
    },
    {
        "code": "clinical-reminder",
        "type": "boolean",
        "name": "Documentation reminders",
        "description": "Cards listing what the chart must show, with a serum B12 test suggestion",
        "default": True,
    },
    {
        "code": "guideline",
        "type": "boolean",
        "name": "Policy links",
        "description": "Cards linking the payer policy that applies",
        "default": True,
    },
    {
        "code": "max-cards",
        "type": "integer",
        "name": "Maximum cards",
        "description": "Return at most this many cards per call",
        "default": 10,
    },
)
DEFAULTS = {o["code"]: o["default"] for o in OPTIONS}


def chosen(extension: dict[str, Any] | None) -> dict[str, Any]:
    """The client's configuration over our defaults; values of the wrong type are ignored."""
    given = (extension or {}).get(CONFIG)
    out = dict(DEFAULTS)
    if isinstance(given, dict):
        for code, value in given.items():
            if code in out and type(value) is type(out[code]):
                out[code] = value
    return out


def apply(config: dict[str, Any], cards: list[Card], actions: list[Action]) -> tuple[list[Card], list[Action]]:
    kept = [c for c in cards if config.get(c.source.topic.code if c.source.topic else "", True)]
    return kept[: max(0, int(config["max-cards"]))], actions if config["coverage-info"] else []
