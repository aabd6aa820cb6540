"""Staff-facing labels for a lead's stored codes, and how to reach the person."""

from __future__ import annotations

from typing import Any

SERVICES = {
    "ketamine_infusion": "Ketamine infusion",
    "ketamine_assisted_psychotherapy": "Ketamine-assisted psychotherapy (KAP)",
    "consultation": "Consultation",
    "other": "Other",
}
TREATMENTS = {
    "therapy": "Therapy",
    "ssri_snri": "SSRI/SNRI",
    "other_medication": "Other medication",
    "tms": "TMS",
    "esketamine": "Esketamine",
    "none": "None",
}
CHANNELS = {"phone": "Phone call", "text": "Text message", "email": "Email"}
# The visitor's language, as staff read it (a lead from before languages is English).
LANGUAGES = {"en": "English", "es": "Spanish"}
NOTICE_STATES = {
    "pending": "pending (not sent yet)",
    "sending": "sending",
    "sent": "sent",
    "failed": "failed (retried automatically)",
    "dead": "dead (gave up; `redrive` sends it again)",
    "suppressed": "not sent (spam)",
}


def reach(lead: dict[str, Any]) -> str:
    """Where to reach the person: their preferred channel's address, else whichever they gave."""
    channel = lead.get("preferred_contact")
    value = lead.get("email") if channel == "email" else lead.get("phone")
    return str(value or lead.get("phone") or lead.get("email") or "")


def full_name(lead: dict[str, Any]) -> str:
    """First and last name, as given."""
    return " ".join(p for p in (lead.get("first_name"), lead.get("last_name")) if p)
