"""Moved to the package web/iso (one module per record family); these names stay importable
from here so that code written against the old module keeps working. New code imports from
web.iso.<family>_api or web.iso.api_common."""

from __future__ import annotations

from web.iso import api_router as router
from web.iso.actions_api import ActionIn, ActionOut, DoneIn, VerifyIn
from web.iso.api_common import (
    WRITE,
    Body,
    Day,
    NumberPath,
    Refused,
    Value,
    _readable,
    _refused,
    _writable,
    iso_rules,
    working,
)
from web.iso.audits_api import AuditIn, AuditOut, AuditsOut, FindingBody, FindingOut, audits_of
from web.iso.objectives_api import (
    DecisionBody,
    DecisionOut,
    ObjectiveBody,
    ObjectiveOut,
    ObjectivesIn,
    ObjectivesOut,
    ResultBody,
    ResultsIn,
    objectives_of,
)

__all__ = [
    "WRITE",
    "ActionIn",
    "ActionOut",
    "AuditIn",
    "AuditOut",
    "AuditsOut",
    "Body",
    "Day",
    "DecisionBody",
    "DecisionOut",
    "DoneIn",
    "FindingBody",
    "FindingOut",
    "NumberPath",
    "ObjectiveBody",
    "ObjectiveOut",
    "ObjectivesIn",
    "ObjectivesOut",
    "Refused",
    "ResultBody",
    "ResultsIn",
    "Value",
    "VerifyIn",
    "_readable",
    "_refused",
    "_writable",
    "audits_of",
    "iso_rules",
    "objectives_of",
    "router",
    "working",
]
