"""The Next Steps form in a real browser (Debian's Chromium) against `make run`'s local stack.

Each test is something a visitor or the intake staff would notice: what the
page shows and where the focus goes, what the emulator's table holds, and
what the stack printed as the staff notice.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import (
    FORM,
    ON_SCREEN,
    WIDTHS,
    fill,
    leads_for,
    new_page,
    notice_blocks,
    posts_to,
    screen,
    unique_email,
    wait_for_notice,
    wait_like_a_person,
)
from tests.e2e.stack import LocalStack

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SCHEMA = json.loads((Path(__file__).parents[2] / "web" / "lead-schema.json").read_text(encoding="utf-8"))
WORDS = SCHEMA["x-messages"]


def test_a_visitor_sends_the_form_and_staff_get_a_notice_without_health_details(
    browser: Any, stack: LocalStack
) -> None:
    # GIVEN a visitor who came from a newsletter link
    email = unique_email("jordan")
    with new_page(browser) as page:
        posts = posts_to(page, stack)
        page.goto(f"{stack.web_origin}/?utm_source=newsletter&utm_campaign=ptsd-autumn")
        fill(
            page,
            first_name="Jordan",
            last_name="Okafor",
            phone="(202) 555-0175",
            email=email,
            preferred_contact="text",
            consent_to_text=True,
            best_time="evening",
            service="ketamine_infusion",
            tried_treatments=["therapy", "ssri_snri"],
            message="Flashbacks most nights; sertraline did not help.",
            consent_to_contact=True,
        )
        wait_like_a_person(page)

        # WHEN they double-click Send
        page.dblclick(f"{FORM} button[type=submit]")

        # THEN the form is replaced by the server's confirmation, after exactly one POST
        done = page.locator(".ns-done")
        done.wait_for()
        assert page.locator(FORM).count() == 0
        assert "someone from our intake team will reach out soon" in done.inner_text()
        assert page.evaluate("document.activeElement.classList.contains('ns-done')")
        assert len(posts) == 1
        key = posts[0].headers["idempotency-key"]
        assert json.loads(posts[0].post_data)["submission_id"] == key

    # AND one lead is stored, phone in E.164, with the page's source and UTM fields
    [lead] = leads_for(stack, email)
    assert lead["phone"] == "+12025550175"
    assert lead["status"] == "new" and lead.get("spam_reasons") is None
    assert lead["tried_treatments"] == ["therapy", "ssri_snri"]
    assert lead["consent"]["contact"] is True and lead["consent"]["text"] is True
    assert lead["source"]["utm_source"] == "newsletter"
    assert lead["source"]["utm_campaign"] == "ptsd-autumn"
    assert lead["source"]["source_page"] == f"{stack.web_origin}/"

    # AND the staff notice is printed, with nothing the visitor wrote about themselves
    notice = wait_for_notice(stack, lead["lead_id"])
    for private in ("Flashbacks", "sertraline", email, "+12025550175", "555-0175", "Okafor", "Jordan"):
        assert private not in notice


def test_server_errors_show_next_to_their_fields_and_focus_the_first(browser: Any, stack: LocalStack) -> None:
    # GIVEN a phone number and an address that look fine to the browser but not to the server
    with new_page(browser) as page:
        posts = posts_to(page, stack)
        page.goto(stack.web_origin)
        fill(
            page,
            first_name="Riley",
            phone="555-555-5555",
            email="riley@example..org",
            preferred_contact="phone",
            consent_to_contact=True,
        )

        # WHEN they send it
        with page.expect_response(lambda r: r.request.method == "POST" and r.url.startswith(stack.api)) as answer:
            page.click(f"{FORM} button[type=submit]")
        assert answer.value.status == 422
        page.locator(f"{FORM} .ns-alert").wait_for()

        # THEN each server message sits next to its field, linked for screen readers
        for name, message in (("phone", WORDS["phone"]["invalid"]), ("email", WORDS["email"]["invalid"])):
            field = page.locator(f'{FORM} [name="{name}"]')
            assert field.get_attribute("aria-invalid") == "true"
            error_id = field.get_attribute("aria-describedby").split()[0]
            assert page.locator(f"#{error_id}").text_content() == f"Error: {message}"
            box = page.locator(f'{FORM} [data-field="{name}"]')
            assert message in box.inner_text()
        # AND the alert lists them, and focus is on the first bad field (phone comes first on the form)
        assert WORDS["phone"]["invalid"] in page.locator(f"{FORM} .ns-alert").inner_text()
        assert page.evaluate("document.activeElement.name") == "phone"
        # AND nothing was stored, and what they typed is still there
        assert page.input_value(f'{FORM} [name="email"]') == "riley@example..org"
        assert len(posts) == 1
    assert leads_for(stack, "riley@example..org") == []


def test_client_checks_use_the_servers_words_and_send_nothing(browser: Any, stack: LocalStack) -> None:
    # GIVEN a visitor who chose text messages but filled almost nothing in
    with new_page(browser) as page:
        posts = posts_to(page, stack)
        page.goto(stack.web_origin)
        text_consent = page.locator(f'{FORM} input[name="consent_to_text"]')
        assert not text_consent.is_visible()  # only asked for when texting is chosen
        fill(page, preferred_contact="text")
        assert text_consent.is_visible()

        # WHEN they press Send
        page.click(f"{FORM} button[type=submit]")

        # THEN the same words the server would use appear by each field, and nothing is sent
        alert = page.locator(f"{FORM} .ns-alert")
        alert.wait_for()
        expected = {
            "first_name": WORDS["first_name"]["required"],
            "phone": WORDS["phone"]["for_channel"],
            "email": WORDS["email"]["one_of"],
            "consent_to_text": WORDS["consent_to_text"]["required"],
            "consent_to_contact": WORDS["consent_to_contact"]["required"],
        }
        for name, message in expected.items():
            assert message in page.locator(f'{FORM} [data-field="{name}"]').inner_text(), name
            assert message in alert.inner_text()
        assert page.evaluate("document.activeElement.name") == "first_name"
        assert posts == []


def test_crisis_resources_come_first_with_tap_to_call_and_text(browser: Any, stack: LocalStack) -> None:
    # GIVEN a visitor whose message suggests a crisis
    email = unique_email("casey")
    with new_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True) as page:
        page.goto(stack.web_origin)
        fill(
            page,
            first_name="Casey",
            email=email,
            preferred_contact="email",
            message="Some nights I want to end my life. I need help soon.",
            consent_to_contact=True,
        )
        wait_like_a_person(page)

        # WHEN they send it
        page.click(f"{FORM} button[type=submit]")

        # THEN the crisis resources are the first thing in the answer, and focus lands on them
        done = page.locator(".ns-done")
        done.wait_for()
        first = done.locator(":scope > *").first
        assert "ns-crisis" in first.get_attribute("class")
        assert first.locator("h3").inner_text() == "If you are in crisis, help is available now"
        assert page.evaluate("document.activeElement.id") == "ns-crisis-title"
        # AND each one can be tapped to call or text
        links = {a.get_attribute("href"): a.inner_text() for a in first.locator("a").all()}
        assert links["tel:988"] == "Call 988"
        assert links["sms:988"] == "Text 988"
        assert links["sms:741741?&body=HOME"] == "Text HOME to 741741"
        assert links["tel:911"] == "Call 911"
        # AND the thank-you message follows them
        assert "as soon as we can" in done.locator(".ns-done-message").inner_text()

    [lead] = leads_for(stack, email)
    assert lead["priority"] == "urgent"


def test_failed_sends_keep_the_input_and_the_retry_makes_exactly_one_lead(browser: Any, stack: LocalStack) -> None:
    # GIVEN a flaky connection: the first send meets a 503, the second reaches the
    # server but its answer is lost on the way back, the third gets through
    email = unique_email("morgan")
    attempts: list[dict[str, Any]] = []

    def flaky(route: Any) -> None:
        request = route.request
        if request.method != "POST":
            route.continue_()
            return
        attempts.append({"key": request.headers.get("idempotency-key"), "body": json.loads(request.post_data)})
        if len(attempts) == 1:
            route.fulfill(
                status=503,
                headers={
                    "Content-Type": "application/problem+json",
                    "Access-Control-Allow-Origin": stack.web_origin,
                    "Retry-After": "5",
                },
                body=json.dumps({"status": 503, "title": "Temporarily unavailable", "detail": "Please try again."}),
            )
        elif len(attempts) == 2:
            attempts[-1]["server_said"] = route.fetch().status  # the lead is stored...
            route.abort("connectionreset")  # ...but the visitor never hears back
        else:
            route.continue_()

    with new_page(browser) as page:
        page.route(f"{stack.api}/leads", flaky)
        page.goto(stack.web_origin)
        fill(
            page,
            first_name="Morgan",
            phone="202 555 0188",
            preferred_contact="phone",
            email=email,
            message="Could we talk about KAP?",
            consent_to_contact=True,
        )
        wait_like_a_person(page)
        button = page.locator(f"{FORM} button[type=submit]")
        problem = page.locator(f"{FORM} .ns-problem")

        # WHEN the first send meets a 503
        button.click()
        problem.filter(has_text="Please try again.").wait_for()
        # THEN they are told in plain words, and everything they typed is still there
        assert "Your answers are still here" in problem.inner_text()
        assert page.input_value(f'{FORM} [name="message"]') == "Could we talk about KAP?"

        # WHEN the second send's answer is lost
        button.click()
        problem.filter(has_text="reach the clinic just now").wait_for()
        assert page.input_value(f'{FORM} [name="first_name"]') == "Morgan"
        assert page.evaluate("document.activeElement.type") == "submit"

        # WHEN they press Send once more
        button.click()
        page.locator(".ns-done").wait_for()

    # THEN every attempt carried the same submission id, in the header and the body, and the same payload
    assert len(attempts) == 3
    keys = {a["key"] for a in attempts} | {a["body"]["submission_id"] for a in attempts}
    assert len(keys) == 1
    assert attempts[0]["body"] == attempts[1]["body"] == attempts[2]["body"]
    assert attempts[1]["server_said"] == 201
    # AND exactly one lead exists, notified once
    [lead] = leads_for(stack, email)
    wait_for_notice(stack, lead["lead_id"])
    assert len([b for b in notice_blocks(stack) if lead["lead_id"] in b]) == 1


def test_a_409_after_a_lost_answer_is_treated_as_received(browser: Any, stack: LocalStack) -> None:
    # GIVEN a visitor whose first send arrived but whose answer was lost, and who then edited the form
    def already_received(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        route.fulfill(
            status=409,
            headers={"Content-Type": "application/problem+json", "Access-Control-Allow-Origin": stack.web_origin},
            body=json.dumps({"status": 409, "title": "Already submitted", "detail": "Reload the page."}),
        )

    with new_page(browser) as page:
        page.route(f"{stack.api}/leads", already_received)
        page.goto(stack.web_origin)
        fill(page, first_name="Ari", phone="202 555 0133", preferred_contact="phone", consent_to_contact=True)

        # WHEN the send answers 409
        page.click(f"{FORM} button[type=submit]")

        # THEN they are told kindly that their request is in, with the lifeline at hand
        done = page.locator(".ns-done")
        done.wait_for()
        assert "already received your request" in done.inner_text()
        assert done.locator('a[href="tel:988"]').count() == 1
        assert page.locator(FORM).count() == 0


def test_without_javascript_the_form_redirects_to_thank_you_and_the_lead_is_notified(
    browser: Any, stack: LocalStack
) -> None:
    # GIVEN a visitor whose browser runs no JavaScript
    email = unique_email("quinn")
    with new_page(browser, java_script_enabled=False) as page:
        page.goto(stack.web_origin)
        assert page.locator(f'{FORM} input[name="consent_to_text"]').is_visible()
        fill(
            page,
            first_name="Quinn",
            phone="(202) 555-0199",
            email=email,
            preferred_contact="phone",
            best_time="morning",
            message="Is there a waiting list?",
            consent_to_contact=True,
        )

        # WHEN they send the form
        page.click(f"{FORM} button[type=submit]")

        # THEN the browser lands on the thank-you page, with no identifiers in its address
        page.wait_for_url(f"{stack.web_origin}/thank-you.html")
        assert page.locator("h1").inner_text() == "Thank you"

    # AND the lead is stored and the staff are told
    [lead] = leads_for(stack, email)
    assert lead["phone"] == "+12025550199"
    assert lead["best_time"] == "morning"
    notice = wait_for_notice(stack, lead["lead_id"])
    assert "waiting list" not in notice and email not in notice


def test_without_javascript_a_mistake_gets_a_page_listing_what_to_fix(browser: Any, stack: LocalStack) -> None:
    # GIVEN a visitor without JavaScript who chose texting but gave an odd number and no text consent
    with new_page(browser, java_script_enabled=False) as page:
        page.goto(stack.web_origin)
        fill(page, first_name="Sky", phone="<b>12</b>", preferred_contact="text", consent_to_contact=True)

        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))

        # WHEN they send it
        with page.expect_response(lambda r: r.request.method == "POST" and r.url.startswith(stack.api)) as answer:
            page.click(f"{FORM} button[type=submit]")

        # THEN a plain page names each field to fix, showing their input as text, not markup
        page.locator("h1", has_text="Please check the form").wait_for()
        items = page.locator("li").all_inner_texts()
        [phone] = [i for i in items if i.startswith("Phone:")]
        assert WORDS["phone"]["invalid"] in phone
        assert "<b>12</b>" in phone  # shown as typed, as text
        assert page.locator("main b").count() == 0
        assert any(i.startswith("Permission to text you:") for i in items)
        # AND the page looks as designed under its Content-Security-Policy: its inline style applies
        assert "default-src 'none'" in (answer.value.headers.get("content-security-policy") or "")
        assert page.evaluate("getComputedStyle(document.body).maxWidth") == "640px"
        assert [m for m in console if "Content Security Policy" in m] == []

        # AND, as the page says, Back returns to the form with what they typed
        page.go_back()
        assert page.input_value(f'{FORM} [name="first_name"]') == "Sky"
        assert page.input_value(f'{FORM} [name="phone"]') == "<b>12</b>"


def test_keyboard_only_visitor_can_send_the_form(browser: Any, stack: LocalStack) -> None:
    email = unique_email("rowan")
    visited: list[str] = []

    def active(page: Any) -> str:
        return page.evaluate(
            "() => { const a = document.activeElement;"
            " return a.name ? a.name + (a.type === 'radio' ? ':' + a.value : '') : a.className || a.tagName; }"
        )

    def tab_to(page: Any, target: str, most: int = 20) -> None:
        for _ in range(most):
            page.keyboard.press("Tab")
            visited.append(active(page))
            if visited[-1] == target:
                return
        raise AssertionError(f"Tab never reached {target}; went through {visited}")

    with new_page(browser, viewport={"width": 320, "height": 640}) as page:
        page.goto(stack.web_origin)
        # GIVEN a visitor who uses only the keyboard: the skip link takes them to the form
        tab_to(page, "skip-link", most=1)
        page.keyboard.press("Enter")
        tab_to(page, "first_name")
        page.keyboard.type("Rowan")
        tab_to(page, "phone")
        page.keyboard.type("202-555-0111")
        tab_to(page, "email")
        page.keyboard.type(email)
        tab_to(page, "preferred_contact:phone")
        page.keyboard.press("Space")
        tab_to(page, "message")
        page.keyboard.type("Do you take new patients?")
        tab_to(page, "consent_to_contact")
        page.keyboard.press("Space")
        tab_to(page, "ns-submit")
        wait_like_a_person(page)

        # WHEN they press Enter on Send
        page.keyboard.press("Enter")

        # THEN the confirmation takes focus, and the hidden honeypot was never in their way
        page.locator(".ns-done").wait_for()
        assert "ns-done" in active(page)
        assert "website" not in visited
        assert page.locator(FORM).count() == 0
    [lead] = leads_for(stack, email)
    assert lead["preferred_contact"] == "phone" and lead["consent"]["contact"] is True


CONTRAST_JS = """
() => {
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = [];
  const root = document.querySelector('#next-steps');
  for (const el of root.querySelectorAll('*')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length || el.closest('.ns-hp, .ns-visually-hidden')) continue;
    const fg = parse(getComputedStyle(el).color).slice(0, 3);
    const [a, b] = [lum(fg), lum(background(el))].sort((x, y) => y - x);
    out.push({ text: el.textContent.trim().slice(0, 40), ratio: (a + 0.05) / (b + 0.05) });
  }
  return out;
}
"""


def test_the_form_is_labelled_readable_and_fits_a_320px_screen(browser: Any, stack: LocalStack) -> None:
    with new_page(browser, viewport={"width": 320, "height": 640}) as page:
        page.goto(stack.web_origin)
        page.click(f"{FORM} button[type=submit]")  # show the error state too
        page.locator(f"{FORM} .ns-alert").wait_for()

        # Every visible input has a label a screen reader reads out
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('form.ns-form input, form.ns-form select, form.ns-form textarea')]
                .filter((el) => el.type !== 'hidden' && !el.closest('.ns-hp') && el.getClientRects().length)
                .filter((el) => !(el.labels && el.labels.length && el.labels[0].textContent.trim()))
                .map((el) => el.name)"""
        )
        assert unlabelled == []
        # The honeypot is hidden from people and assistive technology, and out of the tab order
        trap = page.locator(f'{FORM} input[name="website"]')
        assert trap.get_attribute("tabindex") == "-1" and trap.get_attribute("autocomplete") == "off"
        assert page.locator(f"{FORM} .ns-hp").get_attribute("aria-hidden") == "true"
        # Nothing needs sideways scrolling at 320 px
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        # All text in the form section meets WCAG AA (4.5:1)
        low = [c for c in page.evaluate(CONTRAST_JS) if c["ratio"] < 4.5]
        assert low == [], low
        # The error summary is announced
        assert page.locator(f"{FORM} .ns-alert").get_attribute("role") == "alert"
        assert re.search(r"Please check", page.locator(f"{FORM} .ns-alert").inner_text())


CRISIS_MESSAGE = "I want to kill myself"


@pytest.mark.parametrize(("width", "height"), WIDTHS, ids=[f"{w}px" for w, _ in WIDTHS])
def test_the_crisis_heading_is_on_screen_and_focused_at_every_width(
    browser: Any, stack: LocalStack, width: int, height: int
) -> None:
    # GIVEN a visitor on a screen this wide whose message suggests a crisis
    with new_page(browser, **screen(width, height)) as page:
        page.goto(stack.web_origin)
        fill(
            page,
            first_name="Robin",
            email=unique_email(f"robin{width}"),
            preferred_contact="email",
            message=CRISIS_MESSAGE,
            consent_to_contact=True,
        )
        wait_like_a_person(page)

        # WHEN they send it
        page.click(f"{FORM} button[type=submit]")
        page.locator("#ns-crisis-title").wait_for()

        # THEN the crisis heading has focus and is on screen, and so is "Call 988" right under it
        assert page.evaluate("document.activeElement.id") == "ns-crisis-title"
        assert page.evaluate(ON_SCREEN, "#ns-crisis-title")
        assert page.evaluate(ON_SCREEN, '.ns-crisis a[href="tel:988"]')
        # AND the box is calm, not the error red
        border = page.evaluate("getComputedStyle(document.querySelector('.ns-crisis')).borderTopColor")
        assert border == "rgb(36, 69, 122)"


def send_crisis_message_to_a_refusing_api(
    page: Any, stack: LocalStack, status: int, body: dict[str, Any], extra: dict[str, str]
) -> None:
    """Fill in a crisis message and send it to an API that answers `status` with `body`; wait for the crisis lines."""
    cors = {
        "Access-Control-Allow-Origin": stack.web_origin,
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Content-Type, Idempotency-Key",
        "Vary": "Origin",
    }

    def refuse(route: Any) -> None:
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers=cors)
        else:
            headers = {**cors, **extra, "Content-Type": "application/problem+json"}
            route.fulfill(status=status, headers=headers, body=json.dumps(body))

    page.route(stack.api + "/leads", refuse)
    page.goto(stack.web_origin)
    fill(
        page,
        first_name="Robin",
        email=unique_email(f"robin{status}"),
        preferred_contact="email",
        message=CRISIS_MESSAGE,
        consent_to_contact=True,
    )
    wait_like_a_person(page)
    page.click(f"{FORM} button[type=submit]")
    page.locator(f"{FORM} #ns-crisis-title").wait_for()


def assert_crisis_heading_focused_and_on_screen(page: Any) -> None:
    """The crisis heading has focus and is on screen, with tap-to-call right under it."""
    assert page.evaluate("document.activeElement.id") == "ns-crisis-title"
    assert page.evaluate(ON_SCREEN, "#ns-crisis-title")
    assert page.evaluate(ON_SCREEN, '.ns-crisis a[href="tel:988"]')


@pytest.mark.parametrize(("width", "height"), [WIDTHS[0], WIDTHS[2]], ids=["320px", "1280px"])
def test_a_429_with_crisis_resources_shows_them_on_screen_and_keeps_the_form(
    browser: Any, stack: LocalStack, width: int, height: int
) -> None:
    from chalicelib.screening import CRISIS_RESOURCES

    # GIVEN an API that answers, as it does for a crisis message over the client's rate limit, 429 with the lines
    body = {
        "type": "about:blank",
        "status": 429,
        "title": "Too many requests",
        "detail": "Too many submissions from this network. Please try again later, or call the clinic.",
        "crisis_resources": CRISIS_RESOURCES,
    }
    # WHEN a visitor sends a crisis message
    with new_page(browser, **screen(width, height)) as page:
        send_crisis_message_to_a_refusing_api(page, stack, 429, body, {"Retry-After": "300"})
        # THEN the crisis heading is focused and on screen
        assert_crisis_heading_focused_and_on_screen(page)
        # AND the refusal is explained and what they typed is still there
        assert "Too many submissions" in page.locator(f"{FORM} .ns-problem").inner_text()
        assert page.input_value(f'{FORM} [name="message"]') == CRISIS_MESSAGE


@pytest.mark.parametrize(("width", "height"), [WIDTHS[0], WIDTHS[2]], ids=["320px", "1280px"])
def test_a_422_with_crisis_resources_shows_the_lines_first_and_the_field_to_fix(
    browser: Any, stack: LocalStack, width: int, height: int
) -> None:
    from chalicelib.screening import crisis_resources

    # GIVEN an API that refuses a field, as it does for a crisis message with a number it cannot read
    body = {
        "type": "about:blank",
        "status": 422,
        "title": "Please check the form",
        "detail": "Some fields need your attention.",
        "errors": [{"field": "phone", "message": "Please enter a valid phone number, including the area code."}],
        "crisis_resources": crisis_resources("en"),
    }
    # WHEN a visitor sends a crisis message
    with new_page(browser, **screen(width, height)) as page:
        send_crisis_message_to_a_refusing_api(page, stack, 422, body, {})
        # THEN the crisis heading is focused and on screen
        assert_crisis_heading_focused_and_on_screen(page)
        # AND the field to fix is still named, and what they typed is kept
        assert "valid phone number" in page.locator(f"{FORM} .ns-alert").inner_text()
        assert page.input_value(f'{FORM} [name="message"]') == CRISIS_MESSAGE


def test_no_lead_of_this_run_got_a_second_notice_even_after_the_sweepers_grace(stack: LocalStack) -> None:
    """Runs last: every lead the tests above stored was noticed once, and stayed noticed once.

    A late duplicate (the sweeper resending what the stream sent) would show only
    after the sweeper's grace, which most of the tests above finish inside.
    """
    leads = stack.wait_past_late_duplicates()
    noticed = stack.notice_counts()
    assert leads
    assert {lead["lead_id"] for lead in leads if lead["status"] != "spam"} == set(noticed)
    assert set(noticed.values()) == {1}, noticed
