"""The staff inbox in a real browser (Debian's Chromium) against `make run`'s local stack.

Staff sign in as a person does (email, password, then the code their
authenticator app shows, computed here from their TOTP secret), then work
leads sent through the demo form or the API. Each test checks what the staff
member sees, what a colleague sees, and what the API refuses.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.browser.inbox import (
    DESKTOP,
    PHONE,
    Member,
    expected_qr,
    inbox_url,
    member,
    open_signed_in,
    qr_modules,
    row,
    send,
    sign_in,
)
from tests.browser.support import axe_violations, new_page, wait_like_a_person
from tests.conftest import totp
from tests.e2e.stack import LocalStack
from tests.e2e.staff import payload, pool
from tests.e2e.staff import sign_in as staff_token

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

FORM = "form.ns-form"


@pytest.fixture(scope="module")
def intake(stack: LocalStack) -> Member:
    return member(stack, "intake", "sam")


@pytest.fixture(scope="module")
def clinician(stack: LocalStack) -> Member:
    return member(stack, "clinician", "riley")


@pytest.fixture(scope="module")
def admin(stack: LocalStack) -> Member:
    return member(stack, "admin", "ada")


def storage(page: Any) -> dict[str, str]:
    """Everything the page keeps in localStorage and sessionStorage, and its address."""
    return page.evaluate(
        "() => ({ local: JSON.stringify(localStorage), session: JSON.stringify(sessionStorage), url: location.href })"
    )


def test_staff_sign_in_with_password_and_totp_and_sign_out_leaves_no_token(
    browser: Any, stack: LocalStack, intake: Member
) -> None:
    with new_page(browser, **DESKTOP) as page:
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url + " " + (r.post_data or "")))
        # GIVEN the inbox's sign-in page
        page.goto(inbox_url(stack))
        # WHEN an intake member gives their password, then a wrong code
        page.get_by_label("Email").fill(intake.email)
        page.get_by_label("Password", exact=True).fill(intake.password)
        page.get_by_role("button", name="Continue").click()
        right = totp(intake.secret)
        page.get_by_label("The 6-digit code your authenticator app shows now").fill(f"{(int(right) + 1) % 10**6:06d}")
        page.get_by_role("button", name="Sign in").click()
        # THEN they are told in plain words, and may try again
        alert = page.locator("#signin-message")
        alert.wait_for()
        assert "That code did not match" in alert.inner_text()
        # WHEN they type the right code
        page.get_by_label("The 6-digit code your authenticator app shows now").fill(totp(intake.secret))
        page.get_by_role("button", name="Sign in").click()
        # THEN they are in, told who they are, on the New leads
        page.locator("#who").wait_for()
        assert f"{intake.email} (intake)" in page.locator("#me").inner_text()
        assert page.locator("#list-title").inner_text() == "Leads: New"
        # AND the tokens are in this tab's sessionStorage only: never localStorage, never a URL
        kept = storage(page)
        assert kept["local"] == "{}"
        assert "next-steps-inbox" in kept["session"]
        token = page.evaluate("JSON.parse(sessionStorage.getItem('next-steps-inbox')).id")
        assert token.count(".") == 2
        assert not [url for url in requests if token in url.split(" ")[0]]
        # AND the password went to Cognito (the emulator), never to the staff API
        assert not [r for r in requests if intake.password in r and f":{stack.staff_port}/" in r.split(" ")[0]]

        # WHEN they sign out
        page.get_by_role("button", name="Sign out").click()
        # THEN the sign-in form is back, and no token or lead is left in the page
        page.locator("#password-form").wait_for()
        assert storage(page)["session"] == "{}"
        assert page.locator("#leads li").count() == 0


def test_first_sign_in_sets_a_password_and_enrols_the_authenticator_from_a_qr_code(
    browser: Any, stack: LocalStack
) -> None:
    # GIVEN a new staff member an admin just created, with a temporary password (as Cognito emails it)
    pool_id, _ = pool(stack)
    cognito = stack.cognito()
    email = "new.starter@clinic.example"
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        TemporaryPassword="Temporary-Passw0rd",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
    )
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName="intake")
    with new_page(browser, **DESKTOP) as page:
        page.goto(inbox_url(stack))
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password", exact=True).fill("Temporary-Passw0rd")
        page.get_by_role("button", name="Continue").click()
        # WHEN they choose their own password (a mismatch first)
        page.get_by_label("New password").fill("Starter-Passw0rd-2026")
        page.get_by_label("The same password again").fill("Starter-Passw0rd-2025")
        page.get_by_role("button", name="Save my password").click()
        assert "not the same" in page.locator("#signin-message").inner_text()
        page.get_by_label("The same password again").fill("Starter-Passw0rd-2026")
        page.get_by_role("button", name="Save my password").click()
        # THEN they are shown a QR code of their authenticator key, and the key as text
        page.locator("#enrol-form").wait_for()
        secret = page.locator("#secret").inner_text().replace(" ", "")
        assert len(secret) >= 12
        uri = f"otpauth://totp/Next%20Steps%3A{email.replace('@', '%40')}?secret={secret}&issuer=Next%20Steps"
        assert qr_modules(page) == expected_qr(uri)
        # WHEN they type the code their app then shows
        page.get_by_label("Then enter the 6-digit code the app shows").fill(totp(secret))
        page.get_by_role("button", name="Finish setting up").click()
        # THEN they are signed in
        page.locator("#who").wait_for()
        assert f"{email} (intake)" in page.locator("#me").inner_text()

    # AND from now on a sign-in asks for the new password and the app's code
    with new_page(browser, **DESKTOP) as page:
        page.goto(inbox_url(stack))
        sign_in(page, Member(email, "Starter-Passw0rd-2026", secret, "intake"))
        assert page.locator("#list-title").is_visible()


def test_a_lead_from_the_demo_form_is_listed_and_announced_within_5_seconds_of_its_notice(
    browser: Any, stack: LocalStack, intake: Member
) -> None:
    with new_page(browser, **DESKTOP) as inbox, new_page(browser) as visitor:
        # GIVEN an intake member with the New leads open
        open_signed_in(inbox, stack, intake)
        # WHEN a visitor sends the demo page's form
        visitor.goto(stack.web_origin)
        visitor.fill(f'{FORM} [name="first_name"]', "Marisol")
        visitor.fill(f'{FORM} [name="email"]', "marisol.inbox@example.org")
        visitor.check(f'{FORM} input[name="preferred_contact"][value="email"]')
        visitor.check(f'{FORM} input[name="consent_to_contact"]')
        wait_like_a_person(visitor)
        with visitor.expect_response(lambda r: r.request.method == "POST") as answer:
            visitor.click(f"{FORM} button[type=submit]")
        lead_id = answer.value.json()["lead_id"]
        # AND its notice reaches staff
        assert stack.wait_for(f"Lead {lead_id}.", 20), stack.output[-3000:]
        # THEN within 5 seconds it is in the list, marked as just in, and announced
        listed = row(inbox, lead_id)
        listed.wait_for(timeout=5000)
        assert "Marisol" in listed.text_content() and "Just in" in listed.text_content()
        assert "Email, any time" in listed.text_content() and "Unclaimed" in listed.text_content()
        inbox.locator("#announce", has_text="Marisol").wait_for(state="attached", timeout=5000)
        assert "1 new lead" in inbox.locator("#announce").inner_text()


def list_records_of(stack: LocalStack, username: str) -> list[dict[str, Any]]:
    """The audit trail's `list` records of one staff member, from the stack's table."""
    from chalicelib.store import from_item

    db, items, kwargs = stack.dynamodb(), [], {"TableName": "next-steps-local-leads"}
    while True:
        found = db.scan(**kwargs)
        items += [from_item(i) for i in found["Items"]]
        if "LastEvaluatedKey" not in found:
            break
        kwargs["ExclusiveStartKey"] = found["LastEvaluatedKey"]
    return [i for i in items if i.get("entity") == "audit" and i["action"] == "list" and i["actor"] == username]


def test_an_open_inbox_adds_no_audit_record_for_a_poll_of_an_unchanged_list_and_still_shows_a_new_lead(
    browser: Any, stack: LocalStack
) -> None:
    watcher = member(stack, "intake", "watcher")
    with new_page(browser, **DESKTOP) as page:
        answers: list[int] = []
        page.on("response", lambda r: answers.append(r.status) if "/staff/leads?" in r.url else None)
        # GIVEN an intake member with the New leads open
        open_signed_in(page, stack, watcher)
        token = page.evaluate("JSON.parse(sessionStorage.getItem('next-steps-inbox')).id")
        # WHEN the list stays open through polls that find nothing new
        for _ in range(60):
            if answers.count(304) >= 3:
                break
            page.wait_for_timeout(500)
        assert answers.count(304) >= 3, answers
        # AND then a lead arrives
        lead_id = send(stack, "Quinn")
        # THEN the list still shows it, marked and announced
        row(page, lead_id).wait_for(timeout=10000)
        assert "Just in" in row(page, lead_id).text_content()
        page.locator("#announce", has_text="Quinn").wait_for(state="attached", timeout=5000)
        # (signed out, so no poll is on its way when the trail is read)
        page.get_by_role("button", name="Sign out").click()
        page.locator("#signin-title").wait_for()
        page.wait_for_timeout(1000)
    # AND the trail holds one list record for each answer that returned leads, none for the unchanged ones
    records = list_records_of(stack, payload(token)["cognito:username"])
    assert answers.count(200) >= 2  # the first list, and the one with the new lead
    assert len(records) == answers.count(200) < len(answers), answers


def test_urgent_new_leads_are_on_top_and_marked_in_words(browser: Any, stack: LocalStack, intake: Member) -> None:
    # GIVEN a calm lead, then an urgent one, then another calm one
    send(stack, "Calm")
    urgent = send(stack, "Alex", "Some nights I want to kill myself.")
    send(stack, "Later")
    with new_page(browser, **DESKTOP) as page:
        # WHEN the intake member opens the New leads
        open_signed_in(page, stack, intake)
        row(page, urgent).wait_for()
        # THEN the urgent lead is first, and says "Urgent" (not by colour alone)
        first = page.locator("li.lead").first
        assert first.get_attribute("data-lead-id") == urgent
        assert "Urgent" in first.locator("a.open").text_content()
        # AND each row shows when (the clinic's time), how and when to call, the language, who holds it, the notice
        facts = first.locator(".facts").inner_text()
        assert re.search(r"(just now|\d+ min ago) \(\w{3}, \w{3} \d+, \d+:\d\d [AP]M E[SD]T\)", facts), facts
        for shown in ("Phone call, morning", "English", "Unclaimed"):
            assert shown in facts
        assert re.search(r"Notice (sent|pending|sending)", facts), facts


def test_open_claim_note_and_mark_contacted_and_a_colleague_sees_it(
    browser: Any, stack: LocalStack, intake: Member, clinician: Member
) -> None:
    lead_id = send(stack, "Jordan", utm_source="newsletter", utm_campaign="ptsd-autumn")
    with new_page(browser, **DESKTOP) as page, new_page(browser, **DESKTOP) as colleague:
        # GIVEN an intake member, and a colleague watching the Contacted leads
        open_signed_in(colleague, stack, clinician, "#status=contacted")
        open_signed_in(page, stack, intake)
        # WHEN the intake member opens the lead
        row(page, lead_id).locator("a.open").click()
        page.locator("#lead-title").wait_for()
        # THEN they see every field, the consent record and the source, with a tap-to-call link first
        body = page.locator("#lead-view").inner_text()
        for shown in ("Jordan Okafor", "(202) 555-0175", "Could you tell me more about KAP?", "May contact"):
            assert shown in body
        assert "newsletter" in body and "ptsd-autumn" in body
        call = page.get_by_role("link", name="Call (202) 555-0175 (preferred)")
        assert call.get_attribute("href") == "tel:+12025550175"
        assert page.get_by_role("link", name=re.compile("^Email jordan")).get_attribute("href").startswith("mailto:")
        assert page.get_by_role("link", name=re.compile("^Text")).count() == 0  # no consent to be texted
        # WHEN they claim it, add a note and mark it contacted
        page.get_by_role("button", name="Claim this lead").click()
        page.locator("#lead-message", has_text="You hold this lead now.").wait_for()
        assert page.locator("#lead-holder").inner_text() == "you"
        page.get_by_label("Add a note").fill("Left a voicemail; will try again at 2 PM.")
        page.get_by_role("button", name="Add note").click()
        page.locator("#lead-message", has_text="Note added.").wait_for()
        assert "Left a voicemail; will try again at 2 PM." in page.locator(".notes").inner_text()
        assert page.locator(".notes .by").first.inner_text().startswith("you, ")
        page.get_by_role("button", name="Mark contacted").click()
        page.locator("#lead-message", has_text="Marked contacted.").wait_for()
        assert page.locator("#lead-status").inner_text() == "Contacted"
        # AND the history lists what they did
        history = page.locator(".history").inner_text()
        for done in ("claimed", "added a note", "changed the status (new to contacted)"):
            assert done in history

        # THEN the colleague's list shows it as contacted and held, without reloading
        seen = row(colleague, lead_id)
        seen.wait_for(timeout=10000)
        assert f"Held by {intake.email}" in seen.inner_text()  # no name was given: the email stands in
        # AND opening it shows the note, with its author and time
        seen.locator("a.open").click()
        colleague.locator("#lead-title").wait_for()
        assert colleague.locator("#lead-status").inner_text() == "Contacted"
        assert "Left a voicemail; will try again at 2 PM." in colleague.locator(".notes").inner_text()


def test_a_second_receptionist_sees_the_colleague_who_claimed_a_lead_by_name(
    browser: Any, stack: LocalStack, intake: Member
) -> None:
    lead_id = send(stack, "Morgan")
    maria = member(stack, "intake", "maria", full_name="Maria Lopez")
    with new_page(browser, **DESKTOP) as first, new_page(browser, **DESKTOP) as second:
        # GIVEN Maria and a second receptionist with the same new lead open
        open_signed_in(first, stack, maria, f"#lead={lead_id}")
        open_signed_in(second, stack, intake, f"#lead={lead_id}")
        first.locator("#lead-title").wait_for()
        second.locator("#lead-title").wait_for()
        # WHEN Maria claims it and adds a note
        first.get_by_role("button", name="Claim this lead").click()
        first.locator("#lead-message", has_text="You hold this lead now.").wait_for()
        first.get_by_label("Add a note").fill("Booked a consultation call.")
        first.get_by_role("button", name="Add note").click()
        first.locator("#lead-message", has_text="Note added.").wait_for()
        # AND the second, whose page still offers the claim, tries to claim it too
        second.get_by_role("button", name="Claim this lead").click()
        # THEN the refusal names Maria, and the lead as it is now says she holds it, noted it and claimed it
        second.locator("#lead-message", has_text="Not claimed: Maria Lopez already holds this lead.").wait_for()
        assert second.locator("#lead-holder").inner_text() == "Maria Lopez"
        assert second.locator(".notes .by").first.inner_text().startswith("Maria Lopez, ")
        assert "Maria Lopez (intake) claimed" in second.locator(".history").inner_text()
        # AND the refused attempt is in the history as what it was
        assert "you (intake) tried to claim it, but a colleague held it" in second.locator(".history").inner_text()
        assert "staff member" not in second.locator("#lead-view").inner_text()
        # AND in the list the lead is held by Maria Lopez, while Maria herself still reads "you"
        second.get_by_role("link", name=re.compile("^Back to")).click()
        assert "Held by Maria Lopez" in row(second, lead_id).inner_text()
        assert first.locator("#lead-holder").inner_text() == "you"
        # AND Maria's own header says the name her colleagues see her by, beside her sign-in email
        assert first.locator("#me").inner_text() == f"Maria Lopez, {maria.email} (intake)"
        assert second.locator("#me").inner_text() == f"{intake.email} (intake)"


def test_a_long_colleague_name_or_email_wraps_on_a_320_px_phone(
    browser: Any, stack: LocalStack, intake: Member
) -> None:
    # GIVEN two leads, one claimed and noted by a colleague with a long name, one by a colleague with a long email
    long_name = "Maria Guadalupe Fernández-Castillo de la Vega y Montenegro"
    named = member(stack, "intake", "maria", full_name=long_name)
    unnamed = member(stack, "intake", "coordinator.for.ketamine.assisted.psychotherapy")
    leads = {}
    for who in (named, unnamed):
        lead_id = send(stack, "Robin")
        token = staff_token(stack, who.email, who.password, who.secret)
        assert stack.staff(f"/staff/leads/{lead_id}/claim", token, "POST")[0] == 200
        assert stack.staff(f"/staff/leads/{lead_id}/notes", token, "POST", {"text": "Called back."})[0] == 201
        leads[who.email] = lead_id
    with new_page(browser, **PHONE) as page:
        # WHEN a receptionist on a phone lists them and opens each
        open_signed_in(page, stack, intake)
        for who, shown in ((named, long_name), (unnamed, unnamed.email)):
            found = row(page, leads[who.email])
            found.wait_for()
            # THEN the list and the lead name the colleague, and nothing needs scrolling sideways
            assert f"Held by {shown}" in found.inner_text()
            assert page.evaluate("document.documentElement.scrollWidth") == 320, who.email
            found.locator("a.open").click()
            page.locator("#lead-holder", has_text=shown).wait_for()
            assert page.locator(".notes .by").first.inner_text().startswith(f"{shown}, ")
            assert page.evaluate("document.documentElement.scrollWidth") == 320, who.email
            page.get_by_role("link", name=re.compile("^Back to")).click()
    with new_page(browser, **PHONE) as page:
        # AND the colleague with the long name, signed in on a phone, reads it in the header without scrolling
        open_signed_in(page, stack, named)
        assert page.locator("#me").inner_text().startswith(f"{long_name}, ")
        assert page.evaluate("document.documentElement.scrollWidth") == 320


def test_a_stale_status_change_says_what_the_lead_is_now(
    browser: Any, stack: LocalStack, intake: Member, clinician: Member
) -> None:
    lead_id = send(stack, "Casey")
    with new_page(browser, **DESKTOP) as first, new_page(browser, **DESKTOP) as second:
        # GIVEN two staff members with the same new lead open
        open_signed_in(first, stack, intake, f"#lead={lead_id}")
        open_signed_in(second, stack, clinician, f"#lead={lead_id}")
        first.locator("#lead-title").wait_for()
        second.locator("#lead-title").wait_for()
        # WHEN one marks it contacted, and then the other, still seeing New, marks it scheduled
        first.get_by_role("button", name="Mark contacted").click()
        first.locator("#lead-message", has_text="Marked contacted.").wait_for()
        second.get_by_role("button", name="Mark scheduled").click()
        # THEN the second is told in plain words that nothing changed, and what the lead is now
        message = second.locator("#lead-message")
        message.wait_for()
        words = message.inner_text()
        assert "Nothing was changed: someone else changed this lead first." in words
        assert "It is Contacted now, not New as you saw it." in words
        assert second.locator("#lead-status").inner_text() == "Contacted"
        # AND the message is where the keyboard and screen reader are
        assert second.evaluate("document.activeElement.id") == "lead-message"


def test_an_intake_member_sees_no_erase_and_the_api_refuses_it_but_an_admin_can(
    browser: Any, stack: LocalStack, intake: Member, admin: Member
) -> None:
    lead_id = send(stack, "Robin")
    with new_page(browser, **DESKTOP) as page:
        # GIVEN an intake member with the lead open
        open_signed_in(page, stack, intake, f"#lead={lead_id}")
        page.locator("#lead-title").wait_for()
        # THEN there is no erase control
        assert page.locator("#erase, #erase-confirm").count() == 0
        assert page.get_by_role("button", name=re.compile("Erase")).count() == 0
        # AND the API refuses an erase sent with their own token
        token = page.evaluate("JSON.parse(sessionStorage.getItem('next-steps-inbox')).id")
        status, _, body = stack.staff(f"/staff/leads/{lead_id}", token, method="DELETE")
        assert status == 403 and body["title"] == "Not allowed"
        assert stack.staff(f"/staff/leads/{lead_id}", token)[0] == 200

    with new_page(browser, **DESKTOP) as page:
        # GIVEN an admin with the lead open
        open_signed_in(page, stack, admin, f"#lead={lead_id}")
        page.locator("#lead-title").wait_for()
        erase = page.get_by_role("button", name="Erase this lead")
        # THEN erasing waits for the typed confirmation
        assert erase.is_disabled()
        page.get_by_label("Type ERASE to confirm").fill("eras")
        assert erase.is_disabled()
        page.get_by_label("Type ERASE to confirm").fill("ERASE")
        erase.click()
        # AND then the lead is gone, for the page and for the API
        page.locator("#list-title").wait_for()
        token = page.evaluate("JSON.parse(sessionStorage.getItem('next-steps-inbox')).id")
        assert stack.staff(f"/staff/leads/{lead_id}", token)[0] == 404


def test_the_notices_link_opens_its_lead_after_sign_in(browser: Any, stack: LocalStack, intake: Member) -> None:
    # GIVEN the staff notice of a new lead
    lead_id = send(stack, "Quinn")
    assert stack.wait_for(f"Lead {lead_id}.", 20)
    [link] = set(re.findall(rf"http://127\.0\.0\.1:{stack.staff_port}/staff/#lead={lead_id}", stack.output))
    with new_page(browser, **PHONE) as page:
        # WHEN a staff member taps its link on their phone, and signs in
        page.goto(link)
        # (said once the page has its settings: it fetches them after loading)
        page.locator("#signin-message", has_text="Sign in to open the lead").wait_for()
        sign_in(page, intake)
        # THEN that lead is open
        title = page.locator("#lead-title")
        title.wait_for()
        assert title.inner_text().startswith("Quinn Okafor")
        assert page.evaluate("document.activeElement.id") == "lead-title"


def test_after_the_idle_limit_the_page_signs_out_and_says_why(browser: Any, stack: LocalStack, intake: Member) -> None:
    lead_id = send(stack, "Morgan")
    with new_page(browser, **DESKTOP) as page:
        # GIVEN a signed-in staff member with a lead open, on a stage whose idle limit is 4 seconds
        # (only the local stage lets the page ask for one shorter than 15 minutes)
        open_signed_in(page, stack, intake, f"?idle_seconds=4#lead={lead_id}")
        page.locator("#lead-title").wait_for()
        # WHEN they do nothing
        message = page.locator("#signin-message", has_text="without activity")
        message.wait_for(timeout=15000)
        # THEN they are signed out with a clear reason, and nothing of the lead or its token is left
        assert "You were signed out after 4 seconds without activity" in message.inner_text()
        assert page.locator("#password-form").is_visible()
        assert page.locator("#lead-view").inner_text() == ""
        assert storage(page)["session"] == "{}"


def test_the_inbox_works_from_the_keyboard_alone_with_a_visible_focus(
    browser: Any, stack: LocalStack, intake: Member
) -> None:
    lead_id = send(stack, "Kai")
    with new_page(browser, **DESKTOP) as page:
        page.goto(inbox_url(stack))
        page.locator("#email").focus()
        # WHEN a staff member signs in with the keyboard only
        page.keyboard.type(intake.email)
        page.keyboard.press("Tab")
        page.keyboard.type(intake.password)
        page.keyboard.press("Enter")
        page.locator("#code-form").wait_for()
        assert page.evaluate("document.activeElement.id") == "code"
        page.keyboard.type(totp(intake.secret))
        page.keyboard.press("Enter")
        page.locator("#who").wait_for()
        row(page, lead_id).wait_for()
        # AND tabs to the lead and opens it
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.closest('li.lead')?.dataset.leadId") == lead_id:
                break
        else:
            pytest.fail("the lead's row was never reached with Tab")
        # THEN the focused link shows a visible focus ring
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        width = page.evaluate("parseFloat(getComputedStyle(document.activeElement).outlineWidth)")
        assert outline == "solid" and width >= 2
        page.keyboard.press("Enter")
        page.locator("#lead-title").wait_for()
        assert page.evaluate("document.activeElement.id") == "lead-title"
        # AND claiming it is a Tab and Enter away
        for _ in range(20):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.textContent") == "Claim this lead":
                break
        page.keyboard.press("Enter")
        page.locator("#lead-message", has_text="You hold this lead now.").wait_for()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "320px"])
def test_sign_in_list_lead_and_stats_have_no_wcag_aa_violation_and_fit_the_screen(
    browser: Any, stack: LocalStack, admin: Member, viewport: dict[str, Any]
) -> None:
    urgent = send(stack, "Avery", "I dont want to be here anymore.", utm_source="google", utm_campaign="ptsd")
    width = viewport["viewport"]["width"]
    found: dict[str, Any] = {}
    overflow: dict[str, int] = {}

    def check(view: str) -> None:
        found[view] = axe_violations(page)
        overflow[view] = page.evaluate("document.documentElement.scrollWidth")

    with new_page(browser, **viewport) as page:
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(inbox_url(stack))
        page.locator("#password-form").wait_for()
        check("sign-in")
        sign_in(page, admin)
        row(page, urgent).wait_for()
        check("list")
        row(page, urgent).locator("a.open").click()
        page.locator("#lead-title").wait_for()
        page.get_by_label("Add a note").fill("Called back at once; spoke with them.")
        page.get_by_role("button", name="Add note").click()
        page.locator("#lead-message", has_text="Note added.").wait_for()
        check("lead")
        page.get_by_role("link", name="Stats").click()
        page.locator("#stats table").first.wait_for()
        check("stats")
        # AND the page ran without an error, and nothing it does is refused by its own Content-Security-Policy
        assert errors == []
    assert found == {view: [] for view in found}
    # AND nothing needs scrolling sideways, at 320 px too
    assert overflow == {view: width for view in overflow}


def test_a_reload_keeps_the_sign_in_and_an_id_token_near_its_end_is_refreshed(
    browser: Any, stack: LocalStack, intake: Member
) -> None:
    with new_page(browser, **DESKTOP) as page:
        # GIVEN a signed-in staff member whose ID token is a minute from its end
        open_signed_in(page, stack, intake)
        before = page.evaluate("JSON.parse(sessionStorage.getItem('next-steps-inbox'))")
        page.evaluate(
            "() => { const t = JSON.parse(sessionStorage.getItem('next-steps-inbox'));"
            " t.exp = Date.now() + 60000; sessionStorage.setItem('next-steps-inbox', JSON.stringify(t)); }"
        )
        # WHEN they reload the page
        page.reload()
        # THEN they are still signed in, without typing anything
        page.locator("#who").wait_for()
        assert intake.email in page.locator("#me").inner_text()
        # AND the page got a fresh ID token from Cognito with its refresh token before calling the API
        # (polled from here: the page's CSP forbids the eval wait_for_function polls a JS string with)
        deadline = time.monotonic() + 15
        while page.evaluate("JSON.parse(sessionStorage.getItem('next-steps-inbox')).id") == before["id"]:
            assert time.monotonic() < deadline, "the page kept the expired ID token"
            page.wait_for_timeout(100)
        after = page.evaluate("JSON.parse(sessionStorage.getItem('next-steps-inbox'))")
        assert after["exp"] > before["exp"] - 1000 and after["refresh"] == before["refresh"]
        assert page.locator("#list-title").inner_text() == "Leads: New"


def test_show_more_lists_the_next_page_and_the_next_poll_keeps_it(
    browser: Any, stack: LocalStack, intake: Member
) -> None:
    # GIVEN more new leads than one page holds (50)
    for n in range(52):
        send(stack, f"Page{n:02d}")
    with new_page(browser, **DESKTOP) as page:
        open_signed_in(page, stack, intake)
        page.locator("li.lead").nth(49).wait_for()
        assert page.locator("li.lead").count() == 50
        # WHEN they ask for more
        page.get_by_role("button", name="Show more").click()
        page.locator("li.lead").nth(50).wait_for()
        shown = page.locator("li.lead").count()
        assert shown > 50
        # THEN the next refresh of the list keeps the rows they asked for
        page.locator("#announce", has_text="more lead").wait_for(state="attached")
        page.wait_for_timeout(4000)  # one poll (every 3 seconds) and a little
        assert page.locator("li.lead").count() >= shown


def test_a_real_person_held_as_spam_is_restored_from_the_spam_tab_and_notified(
    browser: Any, stack: LocalStack, intake: Member
) -> None:
    # GIVEN a submission the screening held as spam (a filled-in hidden field), which got no notice
    lead_id = send(stack, "Harper", website="https://example.org")
    assert not stack.wait_for(f"Lead {lead_id}.", 2)
    with new_page(browser, **DESKTOP) as page:
        # WHEN a staff member finds it in the Spam tab and restores it
        open_signed_in(page, stack, intake, "#status=spam")
        row(page, lead_id).locator("a.open").click()
        page.locator("#lead-title").wait_for()
        assert page.get_by_role("button", name=re.compile("^Mark")).count() == 0  # spam is restored first
        page.get_by_role("button", name="Not spam: restore to New").click()
        # THEN it is new again, and its staff notice goes out once
        page.locator("#lead-message", has_text="Restored to New, and its staff notice was sent.").wait_for()
        assert page.locator("#lead-status").inner_text() == "New"
        assert "Notice sent" in page.locator("#lead-view").inner_text()
    [stored] = [lead for lead in stack.stored_leads() if lead["lead_id"] == lead_id]
    assert (stored["status"], stored["notice_state"]) == ("new", "sent")


def test_a_spanish_speaking_coordinator_lists_only_the_leads_that_prefer_spanish(
    browser: Any, stack: LocalStack, intake: Member
) -> None:
    # GIVEN a lead from the Spanish form and one from the English form
    spanish = send(stack, "Lucia", "Quisiera saber más sobre la terapia.", language="es")
    english = send(stack, "Morgan", "I would like to know more about KAP.", language="en")
    with new_page(browser, **DESKTOP) as page:
        open_signed_in(page, stack, intake)
        row(page, spanish).wait_for()
        row(page, english).wait_for()
        # WHEN they choose Spanish in the list's language filter
        page.get_by_label("Language").select_option("es")
        # THEN only Spanish leads are listed, and going back to all languages lists both again
        row(page, english).wait_for(state="detached")
        row(page, spanish).wait_for()
        assert "Spanish" in row(page, spanish).inner_text()
        assert row(page, english).count() == 0
        page.get_by_label("Language").select_option("")
        row(page, english).wait_for()
