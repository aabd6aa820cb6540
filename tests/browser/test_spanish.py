"""The Spanish demo page (/es/) in Chromium against the local stack, and axe-core's WCAG 2.1 AA check of both pages.

A visitor on the Spanish page reads every label, help text, client-side error,
server answer and crisis line in Spanish; the lead is stored as Spanish and
staff are told, in English, that the visitor prefers Spanish.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.words import catalogue
from tests.browser.support import (
    AXE,
    FORM,
    ON_SCREEN,
    WIDTHS,
    axe_violations,
    fill,
    leads_for,
    new_page,
    posts_to,
    screen,
    unique_email,
    wait_for_notice,
    wait_like_a_person,
)
from tests.e2e.stack import LocalStack

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ROOT = Path(__file__).parents[2]
SCHEMA = json.loads((ROOT / "web" / "lead-schema.json").read_text(encoding="utf-8"))
PALABRAS = SCHEMA["x-translations"]["es"]["x-messages"]
ES = catalogue("es")
PHONE_AND_DESKTOP = [WIDTHS[0], WIDTHS[2]]
WIDTH_IDS = [f"{w}px" for w, _ in PHONE_AND_DESKTOP]
CRISIS_MESSAGE = "Ya no aguanto más, quiero quitarme la vida."


def spanish_page(stack: LocalStack) -> str:
    return f"{stack.web_origin}/es/"


@pytest.mark.parametrize(("width", "height"), PHONE_AND_DESKTOP, ids=WIDTH_IDS)
def test_a_visitor_sends_the_spanish_form_and_is_answered_in_spanish(
    browser: Any, stack: LocalStack, width: int, height: int
) -> None:
    # GIVEN a visitor on the Spanish page
    email = unique_email(f"lucia{width}")
    with new_page(browser, **screen(width, height)) as page:
        posts = posts_to(page, stack)
        page.goto(spanish_page(stack))
        assert page.locator("html").get_attribute("lang") == "es"
        assert page.locator(f'{FORM} label[for="ns-first-name"]').inner_text() == "Nombre"
        fill(
            page,
            first_name="Lucía",
            last_name="Hernández",
            phone="(202) 555-0164",
            email=email,
            preferred_contact="phone",
            best_time="evening",
            message="¿Aceptan seguro médico?",
            consent_to_contact=True,
        )
        wait_like_a_person(page)

        # WHEN they press "Enviar mi solicitud"
        page.click(f"{FORM} button[type=submit]")

        # THEN the form gives way to the server's Spanish confirmation, with its office hours
        done = page.locator(".ns-done")
        done.wait_for()
        assert done.locator("h3").inner_text() == ES["web.done_title"]
        said = done.locator(".ns-done-message").inner_text()
        assert said.startswith("Gracias. Recibimos su solicitud y una persona de nuestro equipo de admisión")
        assert "de lunes a viernes, de 8 a. m. a 6 p. m., hora del Este" in said
        assert page.evaluate("document.activeElement.classList.contains('ns-done')")
        # AND the snippet asked for Spanish
        [sent] = posts
        assert json.loads(sent.post_data)["language"] == "es"

    # AND the lead is stored as Spanish, and the staff notice (in English) says so
    [lead] = leads_for(stack, email)
    assert lead["language"] == "es"
    notice = wait_for_notice(stack, lead["lead_id"])
    assert "Prefers Spanish." in notice
    for private in ("Lucía", "Hernández", "seguro", email, "555-0164"):
        assert private not in notice


@pytest.mark.parametrize(("width", "height"), PHONE_AND_DESKTOP, ids=WIDTH_IDS)
def test_field_errors_on_the_spanish_form_are_in_spanish(
    browser: Any, stack: LocalStack, width: int, height: int
) -> None:
    with new_page(browser, **screen(width, height)) as page:
        posts = posts_to(page, stack)
        page.goto(spanish_page(stack))

        # GIVEN a visitor who chose texting and filled in nothing else; WHEN they send
        fill(page, preferred_contact="text")
        page.click(f"{FORM} button[type=submit]")

        # THEN each field says, in Spanish, what it needs, and nothing is sent
        alert = page.locator(f"{FORM} .ns-alert")
        alert.wait_for()
        assert ES["web.summary"] in alert.inner_text()
        for name, message in (
            ("first_name", PALABRAS["first_name"]["required"]),
            ("phone", PALABRAS["phone"]["for_channel"]),
            ("consent_to_text", PALABRAS["consent_to_text"]["required"]),
            ("consent_to_contact", PALABRAS["consent_to_contact"]["required"]),
        ):
            assert message in page.locator(f'{FORM} [data-field="{name}"]').inner_text(), name
            assert message in alert.inner_text()
        assert page.evaluate("document.activeElement.name") == "first_name"
        assert posts == []
        # AND the longer Spanish words still fit the screen, with no sideways scrolling
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        # WHEN they fix those but give a number the server cannot read
        fill(page, first_name="Mateo", phone="555-555-5555", consent_to_text=True, consent_to_contact=True)
        with page.expect_response(lambda r: r.request.method == "POST" and r.url.startswith(stack.api)) as answer:
            page.click(f"{FORM} button[type=submit]")
        assert answer.value.status == 422
        page.locator(f'{FORM} [data-field="phone"] .ns-error').wait_for()

        # THEN the server's Spanish words sit by the field, read out with it
        phone = page.locator(f'{FORM} [name="phone"]')
        assert phone.get_attribute("aria-invalid") == "true"
        error_id = phone.get_attribute("aria-describedby").split()[0]
        expected = "Por favor, escriba un número de teléfono válido, con el código de área."
        assert page.locator(f"#{error_id}").text_content() == f"Error: {expected}"
        assert page.evaluate("document.activeElement.name") == "phone"
        assert page.input_value(f'{FORM} [name="first_name"]') == "Mateo"


@pytest.mark.parametrize(("width", "height"), PHONE_AND_DESKTOP, ids=WIDTH_IDS)
def test_a_spanish_crisis_message_brings_the_spanish_lines_into_view(
    browser: Any, stack: LocalStack, width: int, height: int
) -> None:
    # GIVEN a visitor on the Spanish page whose message suggests a crisis
    email = unique_email(f"sofia{width}")
    with new_page(browser, **screen(width, height)) as page:
        page.goto(spanish_page(stack))
        fill(page, first_name="Sofía", email=email, preferred_contact="email", message=CRISIS_MESSAGE)
        fill(page, consent_to_contact=True)
        wait_like_a_person(page)

        # WHEN they send it
        page.click(f"{FORM} button[type=submit]")
        page.locator("#ns-crisis-title").wait_for()

        # THEN the Spanish crisis heading has focus and is on screen, and so is the call button under it
        title = page.locator("#ns-crisis-title")
        assert title.inner_text() == "Si está en crisis, puede recibir ayuda ahora mismo"
        assert page.evaluate("document.activeElement.id") == "ns-crisis-title"
        assert page.evaluate(ON_SCREEN, "#ns-crisis-title")
        assert page.evaluate(ON_SCREEN, '.ns-crisis a[href="tel:988"]')
        # AND the lifeline's Spanish option is spelled out, with a button for each way in
        crisis = page.locator(".ns-crisis")
        assert "Llame al 988 y marque 2" in crisis.inner_text()
        assert "envíe AYUDA por mensaje de texto al 988" in crisis.inner_text()
        links = {a.get_attribute("href"): a.inner_text() for a in crisis.locator("a").all()}
        assert links == {
            "tel:988": "Llamar al 988",
            "sms:988?&body=AYUDA": "Enviar AYUDA al 988",
            "sms:741741?&body=HOLA": "Enviar HOLA al 741741",
            "tel:911": "Llamar al 911",
        }
        assert "lo antes posible" in page.locator(".ns-done-message").inner_text()

    [lead] = leads_for(stack, email)
    assert lead["priority"] == "urgent" and lead["language"] == "es"


def test_without_javascript_the_spanish_form_lands_on_the_spanish_thank_you_page(
    browser: Any, stack: LocalStack
) -> None:
    email = unique_email("diego")
    with new_page(browser, java_script_enabled=False) as page:
        page.goto(spanish_page(stack))
        fill(page, first_name="Diego", phone="(202) 555-0142", email=email, preferred_contact="phone")
        fill(page, consent_to_contact=True)
        page.click(f"{FORM} button[type=submit]")
        page.wait_for_url(f"{stack.web_origin}/es/gracias.html")
        assert page.locator("h1").inner_text() == "Gracias"
        assert page.locator("html").get_attribute("lang") == "es"
    [lead] = leads_for(stack, email)
    assert lead["language"] == "es"


def test_the_english_and_spanish_pages_link_to_each_other(browser: Any, stack: LocalStack) -> None:
    with new_page(browser) as page:
        page.goto(stack.web_origin)
        page.click('a[hreflang="es"]')
        page.wait_for_url(spanish_page(stack))
        assert page.locator("h2#next-steps-title").inner_text() == "Próximos pasos"
        page.click('a[hreflang="en"]')
        page.wait_for_url(f"{stack.web_origin}/")
        assert page.locator("h2#next-steps-title").inner_text() == "Next Steps"


# ---------------------------------------------------------------------------
# axe-core: no WCAG 2.1 A or AA violation, in every state a visitor sees
# ---------------------------------------------------------------------------


def test_axe_core_is_the_pinned_version() -> None:
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    pinned = lock["packages"]["node_modules/axe-core"]["version"]
    assert json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["devDependencies"]["axe-core"] == pinned
    assert AXE.read_text(encoding="utf-8").startswith(f"/*! axe v{pinned}")


def test_the_check_finds_a_violation_when_there_is_one(browser: Any) -> None:
    # Unlabelled input, an image with no text, no page language, low contrast: each one WCAG 2.1 A or AA.
    broken = (
        '<html><body><main><input><img src="x.png"><p style="color:#aaa;background:#fff">Hola</p></main></body></html>'
    )
    with new_page(browser) as page:
        page.set_content(broken)
        found = {v["id"] for v in axe_violations(page)}
    assert {"label", "image-alt", "html-has-lang", "color-contrast"} <= found, found


@pytest.mark.parametrize("path", ["/es/", "/"], ids=["spanish", "english"])
@pytest.mark.parametrize(("width", "height"), PHONE_AND_DESKTOP, ids=WIDTH_IDS)
def test_the_demo_page_has_no_wcag_21_aa_violation_as_shown_and_with_errors(
    browser: Any, stack: LocalStack, path: str, width: int, height: int
) -> None:
    with new_page(browser, **screen(width, height)) as page:
        page.goto(stack.web_origin + path)
        page.locator(f"{FORM}[data-ns-ready]").wait_for()
        assert axe_violations(page) == []

        # The error state: every field's message shown and linked
        fill(page, preferred_contact="text")
        page.click(f"{FORM} button[type=submit]")
        page.locator(f"{FORM} .ns-alert li").first.wait_for()
        assert axe_violations(page) == []


@pytest.mark.parametrize(("width", "height"), PHONE_AND_DESKTOP, ids=WIDTH_IDS)
def test_the_spanish_crisis_answer_has_no_wcag_21_aa_violation(
    browser: Any, stack: LocalStack, width: int, height: int
) -> None:
    with new_page(browser, **screen(width, height)) as page:
        page.goto(spanish_page(stack))
        fill(page, first_name="Ana", email=unique_email(f"ana{width}"), preferred_contact="email")
        fill(page, message=CRISIS_MESSAGE, consent_to_contact=True)
        wait_like_a_person(page)
        page.click(f"{FORM} button[type=submit]")
        page.locator("#ns-crisis-title").wait_for()
        assert axe_violations(page) == []


def test_the_spanish_no_javascript_crisis_page_has_no_wcag_21_aa_violation(browser: Any, stack: LocalStack) -> None:
    # GIVEN the page the API answers a Spanish form post with, when the message suggests a crisis
    with new_page(browser, java_script_enabled=False) as page:
        page.goto(spanish_page(stack))
        fill(page, first_name="Rosa", phone="(202) 555-0190", preferred_contact="phone", message=CRISIS_MESSAGE)
        fill(page, consent_to_contact=True)
        page.click(f"{FORM} button[type=submit]")
        page.locator("h1", has_text="Recibimos su solicitud").wait_for()
        assert page.locator("html").get_attribute("lang") == "es"
        assert "Llame al 988 y marque 2" in page.locator(".crisis").inner_text()
        answered = page.content()
    # THEN axe finds nothing on it (checked from a copy: the page's own Content-Security-Policy runs no script)
    with new_page(browser) as page:
        page.set_content(answered)
        assert axe_violations(page) == []
