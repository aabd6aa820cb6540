"""The staff notice: PHI-free by construction, and its SNS adapter."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from chalicelib.leads import Priority

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef

Event = Literal["new_lead", "reminder", "escalation"]


class NoticeContact(BaseModel):
    """What the `contact` detail level adds to the email text, and nothing else."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    first_name: str
    callback: str


class Notice(BaseModel):
    """A staff notice. It has no field for message text, treatments, service or last name.

    `extra="forbid"` makes that structural: a notice cannot be built with any
    other field, so nothing the visitor wrote about their health can reach
    SNS, SMS or email through it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    event: Event
    lead_id: str
    received_at: str
    priority: Priority
    preferred_contact: Literal["phone", "text", "email"]
    best_time: Literal["morning", "afternoon", "evening", "any"]
    language: Literal["en", "es"] = "en"
    contact: NoticeContact | None = None
    # Which escalation this is (1, 2, 3) when `event` is "escalation".
    escalation: int | None = None

    @classmethod
    def for_lead(cls, lead: dict[str, Any], event: Event, detail: str, escalation: int | None = None) -> Notice:
        """Pick the safe fields of a stored lead; `detail` is the stage's level."""
        contact = None
        if detail == "contact":
            from chalicelib.staff.labels import reach

            contact = NoticeContact(first_name=lead["first_name"], callback=reach(lead))
        return cls(
            event=event,
            lead_id=lead["lead_id"],
            received_at=lead["created_at"],
            priority=lead.get("priority", Priority.NORMAL),
            preferred_contact=lead["preferred_contact"],
            best_time=lead.get("best_time", "any"),
            language=lead.get("language") or "en",
            contact=contact,
            escalation=escalation,
        )

    def _headline(self) -> str:
        if self.event == "escalation":
            return f"URGENT, not picked up yet (alert {self.escalation or 1}): call back at once."
        if self.priority is Priority.URGENT:
            return "URGENT: call back at once."
        if self.event == "reminder":
            return "Reminder: a lead is still waiting for someone to pick it up."
        return "New Next Steps lead."

    def _ask(self) -> str:
        how = {"phone": "by phone", "text": "by text message", "email": "by email"}[self.preferred_contact]
        when = "any time" if self.best_time == "any" else f"in the {self.best_time}"
        said = f"Prefers contact {how}, {when}."
        if self.language != "en":
            from chalicelib.staff.labels import LANGUAGES

            # Staff notices stay in English; they say when the visitor wrote in another language.
            said += f" Prefers {LANGUAGES.get(self.language, self.language)}."
        return said

    def sms_text(self) -> str:
        """The SMS text: never a name or contact detail, at any detail level."""
        link = inbox_link(self.lead_id)
        where = f"Open: {link}" if link else "Details in the staff tool."
        return f"{self._headline()} Lead {self.lead_id}. {self._ask()} {where}"

    def email_text(self) -> str:
        """The email text; adds first name and callback only at the `contact` level."""
        lines = [
            self._headline(),
            "",
            f"Lead: {self.lead_id}",
            f"Received: {self.received_at}",
            f"Priority: {self.priority}",
            self._ask(),
        ]
        if self.priority is Priority.URGENT:
            lines += ["", "The message suggests the person may be in crisis. Call back at once."]
        if self.event == "escalation":
            lines += ["Nobody has opened or claimed this lead yet. Opening it in the staff inbox stops these alerts."]
        if self.contact is not None:
            lines += ["", f"First name: {self.contact.first_name}", f"Reach them at: {self.contact.callback}"]
        link = inbox_link(self.lead_id)
        if link:
            lines += ["", f"Open it in the staff inbox: {link}"]
        else:
            lines += ["", f"Open it from the project folder with: {staff_command(self.lead_id)}"]
        return "\n".join(lines)

    def subject(self) -> str:
        """Email subject line (no personal details)."""
        return self._headline().rstrip(".")[:99]

    def message_attributes(self) -> dict[str, MessageAttributeValueTypeDef]:
        """SNS attributes staff subscriptions filter on (the on-call clinician: priority=urgent).

        SNS hands attributes to every subscriber (SQS, HTTPS, Lambda, Firehose
        as well as email and SMS), so they carry nothing about the visitor's
        health: never the service they asked about.
        """
        return {
            "priority": {"DataType": "String", "StringValue": self.priority.value},
            "preferred_contact": {"DataType": "String", "StringValue": self.preferred_contact},
            "language": {"DataType": "String", "StringValue": self.language},
            "event": {"DataType": "String", "StringValue": self.event},
        }

    def sns_message(self) -> str:
        """The `MessageStructure=json` body: default, sms and email texts."""
        return json.dumps({"default": self.sms_text(), "sms": self.sms_text(), "email": self.email_text()})


class SpamDigest(BaseModel):
    """The once-a-day notice that submissions were held as spam: how many, and nothing else about them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event: Literal["spam_digest"] = "spam_digest"
    held: int
    waiting: int

    @property
    def priority(self) -> Priority:
        """Never urgent: the on-call clinician's urgent-only subscription does not get it."""
        return Priority.NORMAL

    def _counts(self) -> str:
        held = "1 submission was" if self.held == 1 else f"{self.held} submissions were"
        return (
            f"{held} held as spam since the previous clinic day opened; {self.waiting} in all are waiting for review."
        )

    def _where(self) -> str:
        base = _inbox_url()
        if base:
            return f"Review them in the staff inbox: {base}#status=spam"
        return f"List them with: {_cli('list --spam')}"

    def subject(self) -> str:
        """Email subject line."""
        return "Next Steps: submissions held as spam"

    def sms_text(self) -> str:
        """The SMS text: counts only."""
        return f"Next Steps: {self._counts()} {self._where()}"

    def email_text(self) -> str:
        """The email text: counts only; a real lead held by mistake can be restored from the Spam tab."""
        return "\n".join(
            [
                "Submissions held as spam.",
                "",
                self._counts(),
                "Spam gets no notice of its own. Look them over: a real person flagged by mistake",
                "can be restored, and is then sent to staff as a new lead.",
                "",
                self._where(),
            ]
        )

    def message_attributes(self) -> dict[str, MessageAttributeValueTypeDef]:
        """SNS attributes: priority and event only (no visitor's language or channel: it is about many)."""
        return {
            "priority": {"DataType": "String", "StringValue": self.priority.value},
            "event": {"DataType": "String", "StringValue": self.event},
        }

    def sns_message(self) -> str:
        """The `MessageStructure=json` body."""
        return json.dumps({"default": self.sms_text(), "sms": self.sms_text(), "email": self.email_text()})


def _inbox_url() -> str:
    from chalicelib import runtime

    return runtime.settings().staff_inbox_url


def inbox_link(lead_id: str) -> str:
    """The staff inbox's address of this lead (STAFF_INBOX_URL + `#lead=<id>`), or "" when the stage has none.

    Only the opaque lead id goes in the link, and in the fragment, which the
    browser never sends to a server: no access log holds even that.
    """
    base = _inbox_url()
    return f"{base}#lead={lead_id}" if base else ""


def staff_command(lead_id: str) -> str:
    """The staff tool's command that opens this lead on this process's stage, typed from the project folder."""
    return _cli(f"show {lead_id}")


def _cli(command: str) -> str:
    from chalicelib import runtime

    stage = runtime.settings().stage
    return f"./leads {'--local' if stage == 'local' else f'--stage {stage}'} {command}"


class PublishFailed(Exception):
    """SNS did not accept the notice. Carries only an error code, never content."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class SnsPublisher:
    """Publishes notices to the staff topic."""

    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def publish(self, notice: Notice | SpamDigest) -> str:
        """Publish and return the SNS message id, or raise PublishFailed."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self._client.publish(
                TopicArn=self._topic_arn,
                Subject=notice.subject(),
                Message=notice.sns_message(),
                MessageStructure="json",
                MessageAttributes=notice.message_attributes(),
            )
        except ClientError as exc:
            raise PublishFailed(exc.response.get("Error", {}).get("Code", "ClientError")) from exc
        except BotoCoreError as exc:
            raise PublishFailed(type(exc).__name__) from exc
        return str(response["MessageId"])
