"""CDS Hooks 2.0 wire types (requests, discovery, cards, actions, feedback) as msgspec Structs.

Optional members default to None/() and are omitted on the wire: CDS Hooks forbids null, "" and [] for
absent optional attributes (the only allowed empty is `{"cards": []}`).
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

Indicator = Literal["info", "warning", "critical"]


class _Out(msgspec.Struct, omit_defaults=True):
    pass


class FhirAuthorization(msgspec.Struct, frozen=True):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int | None = None
    scope: str | None = None
    subject: str | None = None


class HookRequest(msgspec.Struct, frozen=True):
    hook: str
    hookInstance: str
    context: dict[str, Any]
    fhirServer: str | None = None
    fhirAuthorization: FhirAuthorization | None = None
    prefetch: dict[str, Any] | None = None
    extension: dict[str, Any] | None = None  # e.g. {"davinci-crd.configuration": {...}}


class Service(_Out):
    hook: str
    id: str
    description: str
    title: str | None = None
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None
    extension: dict[str, Any] | None = None


class Coding(_Out):
    system: str
    code: str
    display: str | None = None


class CardSource(_Out):
    label: str
    url: str | None = None
    topic: Coding | None = None


class Action(_Out):
    type: Literal["create", "update", "delete"]
    description: str
    resource: dict[str, Any] | None = None
    resourceId: str | None = None


class Suggestion(_Out):
    label: str
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: tuple[Action, ...] = ()


class Link(_Out):
    label: str
    url: str
    type: Literal["absolute", "smart"]  # required on the wire, so no default (omit_defaults would drop it)


class Card(_Out):
    summary: str
    indicator: Indicator
    source: CardSource
    uuid: str | None = None
    detail: str | None = None
    suggestions: tuple[Suggestion, ...] = ()
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: tuple[Coding, ...] = ()
    links: tuple[Link, ...] = ()


class HookResponse(msgspec.Struct, frozen=True, omit_defaults=True):
    cards: tuple[Card, ...]
    systemActions: tuple[Action, ...] = ()


class OverrideReason(msgspec.Struct, frozen=True):
    reason: Coding | None = None
    userComment: str | None = None


class AcceptedSuggestion(msgspec.Struct, frozen=True):
    id: str


class FeedbackItem(msgspec.Struct, frozen=True):
    card: str
    outcome: Literal["accepted", "overridden"]
    outcomeTimestamp: str
    acceptedSuggestions: tuple[AcceptedSuggestion, ...] = ()
    overrideReason: OverrideReason | None = None


class Feedback(msgspec.Struct, frozen=True):
    feedback: tuple[FeedbackItem, ...]
