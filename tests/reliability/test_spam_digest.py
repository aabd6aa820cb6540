"""Spam is not silent: once a clinic day, one notice says how many submissions wait for review, and nothing else."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.conftest import leads
from tests.reliability.support import START, submit
from tests.reliability.test_sweeper import sweep_at

INBOX = "https://staff.clinic.example/staff/"
SPAM = {"website": "https://spam.example/pills", "first_name": "Zebulon", "email": "zeb.spam@example.org"}


def digests(aws):
    return [n for n in aws.notices() if n["attributes"].get("event") == "spam_digest"]


def hold_spam(deps, clock, count, first=0):
    """`count` submissions the screening holds as spam (a filled-in honeypot)."""
    ids = [submit(deps, clock, first + n, message=f"Buy now, offer {first + n}", **SPAM) for n in range(count)]
    assert {lead["status"] for lead in leads(deps.settings.table_name) if lead["lead_id"] in ids} == {"spam"}
    return ids


def test_one_notice_a_day_says_how_many_are_held_and_nothing_of_what_they_said(client, aws, deps, clock, sns):
    # GIVEN a stage with a staff inbox, and two submissions held as spam on a Monday morning (clinic hours)
    deps.settings = replace(deps.settings, staff_inbox_url=INBOX)
    ids = hold_spam(deps, clock, 2)

    # WHEN the sweeper runs every minute for an hour
    for minute in range(60):
        sweep_at(client, clock, START + timedelta(minutes=minute))

    # THEN staff got exactly one notice, which gives the count and links to the Spam tab
    [digest] = digests(aws)
    assert "2 submissions were held as spam since the previous clinic day opened" in digest["texts"]["sms"]
    assert f"{INBOX}#status=spam" in digest["texts"]["sms"] and f"{INBOX}#status=spam" in digest["texts"]["email"]
    assert digest["attributes"] == {"priority": "normal", "event": "spam_digest"}
    # AND nothing any of those submissions said, nor their ids
    for word in ["Zebulon", "zeb.spam", "spam.example", "Buy now", *ids]:
        assert word not in digest["raw"]


def test_the_next_day_gets_its_own_only_if_more_spam_arrived(client, aws, deps, clock, sns):
    hold_spam(deps, clock, 1)
    sweep_at(client, clock, START)
    assert len(digests(aws)) == 1
    assert "1 submission was held as spam" in digests(aws)[0]["texts"]["sms"]

    # WHEN Tuesday's sweeps count it again (it arrived after Monday opened), and
    # Wednesday's find no spam since Tuesday opened
    for day in (1, 2):
        for minute in range(0, 120, 10):
            sweep_at(client, clock, START + timedelta(days=day, hours=1, minutes=minute))
    # THEN Tuesday had one more notice, Wednesday none
    assert len(digests(aws)) == 2
    assert "1 submission was held as spam" in digests(aws)[1]["texts"]["sms"]

    # WHEN more spam arrives on Thursday
    clock.now = START + timedelta(days=3)
    hold_spam(deps, clock, 3, first=10)
    sweep_at(client, clock, clock.now)
    sweep_at(client, clock, clock.now + timedelta(minutes=1))
    # THEN Thursday's notice counts the new ones and every one still waiting
    assert len(digests(aws)) == 3
    assert (
        "3 submissions were held as spam since the previous clinic day opened; 4 in all are waiting"
        in digests(aws)[2]["texts"]["sms"]
    )


def test_spam_held_at_night_is_told_when_the_clinic_opens(client, aws, deps, clock, sns):
    # GIVEN spam at 3 AM clinic time (08:00 UTC on a Monday in March is 03:00 in New York)
    clock.now = START.replace(hour=8)
    hold_spam(deps, clock, 1)
    # WHEN the sweeper runs through the night
    for hour in range(8, 13):
        sweep_at(client, clock, START.replace(hour=hour, minute=30))
    # THEN the notice waits for opening (08:00 in New York, 13:00 UTC)
    assert digests(aws) == []
    sweep_at(client, clock, START.replace(hour=13, minute=0))
    assert len(digests(aws)) == 1


def test_a_digest_sns_refused_is_sent_by_a_later_sweep(client, aws, deps, clock, sns):
    hold_spam(deps, clock, 1)
    sns.active = True
    sweep_at(client, clock, START)
    assert digests(aws) == []
    sns.active = False
    sweep_at(client, clock, START + timedelta(minutes=1))
    sweep_at(client, clock, START + timedelta(minutes=2))
    assert len(digests(aws)) == 1


def test_spam_held_over_the_weekend_is_told_on_monday(client, aws, deps, clock, sns):
    # GIVEN spam on Saturday afternoon, with hours Mon-Fri 08:00-18:00 (START is a Monday, 10:00 in New York)
    clock.now = START - timedelta(days=2)
    hold_spam(deps, clock, 2)
    # WHEN the sweeper runs through the weekend and into Monday morning
    for hours in range(0, 48, 6):
        sweep_at(client, clock, START - timedelta(days=2) + timedelta(hours=hours))
    assert digests(aws) == []
    sweep_at(client, clock, START)
    # THEN Monday's notice counts them: more than a day old, but nobody was there to see them
    [digest] = digests(aws)
    assert "2 submissions were held as spam since the previous clinic day opened" in digest["texts"]["sms"]
