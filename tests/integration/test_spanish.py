"""POST /leads in Spanish: the `language` field, else Accept-Language, else English; every answer in that language."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from urllib.parse import quote_plus

import pytest

from chalicelib.words import text
from tests.conftest import Stack, leads, post, pump, valid_lead

FORM = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://clinic.example"}
CRISIS = "ya no quiero vivir, pienso en quitarme la vida"


def body_of(response: Any) -> Any:
    return json.loads(response.body)


def test_a_spanish_submission_gets_a_spanish_201_and_the_lead_stores_its_language(client: Any, aws: Stack) -> None:
    # GIVEN a visitor on the Spanish form
    response = post(client, valid_lead(language="es"))

    # THEN the confirmation is in Spanish, with the office hours in Spanish
    assert response.status_code == 201
    answer = body_of(response)
    assert answer["status"] == "received"
    assert answer["message"].startswith("Gracias. Recibimos su solicitud")
    assert "de lunes a viernes, de 8 a. m. a 6 p. m., hora del Este" in answer["message"]
    # AND the lead remembers the visitor's language
    [lead] = leads(aws.table)
    assert lead["language"] == "es"


def test_an_english_submission_stores_english(client: Any, aws: Stack) -> None:
    response = post(client, valid_lead())
    assert body_of(response)["message"].startswith("Thank you.")
    [lead] = leads(aws.table)
    assert lead["language"] == "en"


def test_a_spanish_422_names_the_fields_with_spanish_messages(client: Any, aws: Stack) -> None:
    # GIVEN a Spanish submission with no name, an address that is not one, and no consent
    bad = valid_lead(language="es", first_name=" ", email="no-es-un-correo", consent_to_contact=False)

    # WHEN it is sent
    response = post(client, bad)

    # THEN the problem and each field's message are in Spanish; field names stay the same
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = body_of(response)
    assert problem["title"] == "Por favor, revise el formulario"
    assert problem["detail"] == "Algunos campos necesitan su atención."
    said = {e["field"]: e["message"] for e in problem["errors"]}
    assert said == {
        "first_name": "Por favor, escriba su nombre.",
        "email": "Por favor, escriba un correo electrónico válido, por ejemplo nombre@ejemplo.com.",
        "consent_to_contact": "Por favor, marque la casilla para permitirnos comunicarnos con usted sobre su consulta.",
    }
    assert leads(aws.table) == []


def test_a_spanish_crisis_message_gets_the_spanish_lines(client: Any, aws: Stack) -> None:
    response = post(client, valid_lead(language="es", message=CRISIS))
    answer = body_of(response)
    assert response.status_code == 201
    assert "quitarse la vida" in answer["message"]
    lines = {line["name"]: line for line in answer["crisis_resources"]}
    lifeline = lines["988 Línea de Prevención del Suicidio y Crisis"]
    assert "Llame al 988 y marque 2" in lifeline["how"]
    assert "envíe AYUDA por mensaje de texto al 988" in lifeline["how"]
    assert lifeline["call"] == "tel:988" and lifeline["text"] == "sms:988?&body=AYUDA"
    assert lines["Servicios de emergencia"]["call"] == "tel:911"
    [lead] = leads(aws.table)
    assert lead["priority"] == "urgent" and lead["language"] == "es"


def test_a_spanish_no_javascript_crisis_page_is_marked_spanish_and_gives_988_with_the_spanish_option(
    client: Any, aws: Stack
) -> None:
    # GIVEN a Spanish form sent without JavaScript, whose message suggests a crisis
    form = (
        "first_name=Lucía&phone=202-555-0177&preferred_contact=phone&consent_to_contact=on&language=es"
        f"&message={CRISIS.replace(' ', '+')}"
    )
    response = post(client, None, FORM, raw=form.encode())

    # THEN the answer is a Spanish page that leads with the crisis lines
    page = response.body.decode()
    assert response.status_code == 200
    assert page.startswith('<!doctype html><html lang="es">')
    assert "<title>Recibimos su solicitud</title>" in page
    assert "Si está en crisis, puede recibir ayuda ahora mismo" in page
    assert 'href="tel:988"' in page and "988" in page
    assert "Llame al 988 y marque 2" in page
    assert 'href="sms:988?&amp;body=AYUDA"' in page
    assert page.index("crisis-title") < page.index("Gracias.")


def test_a_spanish_no_javascript_mistake_page_is_in_spanish(client: Any, aws: Stack) -> None:
    form = b"first_name=Luc%C3%ADa&phone=12&preferred_contact=phone&consent_to_contact=on&language=es"
    response = post(client, None, FORM, raw=form)
    page = response.body.decode()
    assert response.status_code == 422
    assert page.startswith('<!doctype html><html lang="es">')
    assert "<strong>Teléfono</strong>: Por favor, escriba un número de teléfono válido" in page
    assert "<strong>Atrás</strong>" in page


def test_a_spanish_form_post_goes_to_the_spanish_thank_you_page(client: Any, aws: Stack, deps: Any) -> None:
    # GIVEN a stage with THANK_YOU_URL_ES beside THANK_YOU_URL
    deps.settings = replace(deps.settings, thank_you_urls=(("es", "https://clinic.example/es/gracias"),))
    form = b"first_name=Luc%C3%ADa&phone=202-555-0177&preferred_contact=phone&consent_to_contact=on&language=es"
    spanish = post(client, None, FORM, raw=form)
    other = form.replace(b"language=es", b"language=en").replace(b"Luc%C3%ADa", b"Lucy")
    english = post(client, None, FORM, raw=other)
    assert spanish.status_code == english.status_code == 303
    assert spanish.headers["Location"] == "https://clinic.example/es/gracias"
    assert english.headers["Location"] == "https://clinic.example/thank-you"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("es-MX", "es"),
        ("es-MX,es;q=0.9,en;q=0.8", "es"),
        ("fr-FR, es;q=0.7, en;q=0.5", "es"),
        ("en-US,en;q=0.9,es;q=0.8", "en"),
        ("es;q=0, en", "en"),
        ("de", "en"),
        ("", "en"),
    ],
)
def test_without_a_language_field_accept_language_decides(client: Any, aws: Stack, accept: str, expected: str) -> None:
    response = post(client, valid_lead(), {"Accept-Language": accept})
    assert response.status_code == 201
    said = body_of(response)["message"]
    assert said.startswith("Gracias." if expected == "es" else "Thank you."), said
    [lead] = leads(aws.table)
    assert lead["language"] == expected


def test_the_language_field_wins_over_accept_language(client: Any, aws: Stack) -> None:
    response = post(client, valid_lead(language="en"), {"Accept-Language": "es-MX"})
    assert body_of(response)["message"].startswith("Thank you.")


def test_accept_language_es_mx_gives_spanish_errors_too(client: Any, aws: Stack) -> None:
    response = post(client, valid_lead(phone="12"), {"Accept-Language": "es-MX"})
    problem = body_of(response)
    assert response.status_code == 422
    assert problem["title"] == "Por favor, revise el formulario"
    assert problem["errors"] == [
        {"field": "phone", "message": "Por favor, escriba un número de teléfono válido, con el código de área."}
    ]


@pytest.mark.parametrize("language", ["fr", "ES-MX", "spanish", 7, True, ["es"]])
def test_an_unknown_language_is_a_422_naming_the_field(client: Any, aws: Stack, language: Any) -> None:
    response = post(client, valid_lead(language=language))
    problem = body_of(response)
    assert response.status_code == 422
    assert problem["errors"] == [{"field": "language", "message": text("en", "field.language.invalid")}]
    assert leads(aws.table) == []


def test_an_unknown_language_is_explained_in_the_accept_language(client: Any, aws: Stack) -> None:
    response = post(client, valid_lead(language="fr"), {"Accept-Language": "es"})
    assert body_of(response)["errors"] == [
        {"field": "language", "message": "Por favor, elija un idioma disponible: inglés (en) o español (es)."}
    ]


def test_a_replay_answers_in_the_first_answers_language(client: Any, aws: Stack) -> None:
    # GIVEN a Spanish submission that was answered in Spanish
    lead = valid_lead(language="es", submission_id="sub-es-1")
    first = post(client, lead)

    # WHEN the same submission comes again, with nothing saying Spanish but the first answer
    without = {k: v for k, v in lead.items() if k != "language"}
    again = post(client, without, {"Accept-Language": "en-US"})

    # THEN it is the first answer, in Spanish, byte for byte, and no second lead or notice
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.body == first.body
    assert body_of(again)["message"].startswith("Gracias.")
    pump(client, aws)
    assert len(leads(aws.table)) == 1
    assert len(aws.notices()) == 1


def test_a_replayed_no_javascript_crisis_page_stays_in_the_first_language(client: Any, aws: Stack) -> None:
    form = (
        "first_name=Luc%C3%ADa&phone=202-555-0177&preferred_contact=phone&consent_to_contact=on"
        f"&submission_id=sub-es-2&message={CRISIS.replace(' ', '+')}"
    )
    first = post(client, None, {**FORM, "Accept-Language": "es-MX"}, raw=form.encode())
    again = post(client, None, {**FORM, "Accept-Language": "en"}, raw=form.encode())
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    page = again.body.decode()
    assert page.startswith('<html lang="es">', len("<!doctype html>"))
    assert "Si está en crisis" in page and "Gracias." in page


def test_every_refusal_speaks_spanish(client: Any, aws: Stack, deps: Any) -> None:
    es = {"Accept-Language": "es"}
    malformed = post(client, None, es, raw=b"{not json")
    assert body_of(malformed)["title"] == "JSON mal formado"
    wrong_type = post(client, None, {**es, "Content-Type": "text/plain"}, raw=b"hola")
    assert body_of(wrong_type)["title"] == "Tipo de contenido no admitido"
    foreign = post(client, valid_lead(language="es"), {"Origin": "https://evil.example"})
    assert body_of(foreign)["title"] == "Origen no permitido"
    deps.settings = replace(deps.settings, rate_limit_window=1)
    post(client, valid_lead(language="es", email="uno@example.org"))
    limited = post(client, valid_lead(language="es", email="dos@example.org", message=CRISIS))
    problem = body_of(limited)
    assert limited.status_code == 429
    assert problem["title"] == "Demasiadas solicitudes"
    assert "Llame al 988 y marque 2" in json.dumps(problem["crisis_resources"], ensure_ascii=False)


def test_a_spanish_method_not_allowed_is_in_spanish(client: Any) -> None:
    response = client.http.get("/leads", headers={"Accept-Language": "es-419"})
    assert response.status_code == 405
    assert body_of(response)["title"] == "Método no permitido"


def test_the_staff_notice_stays_english_says_prefers_spanish_and_is_filterable(client: Any, aws: Stack) -> None:
    post(client, valid_lead(language="es"))
    pump(client, aws)
    [notice] = aws.notices()
    assert notice["attributes"]["language"] == "es"
    assert notice["subject"] == "New Next Steps lead"
    for said in (notice["texts"]["sms"], notice["texts"]["email"]):
        assert "Prefers Spanish." in said
    assert "Avery" not in notice["raw"] and "nightmares" not in notice["raw"]


def test_the_same_answers_from_the_other_languages_form_are_the_same_request(client: Any, aws: Stack) -> None:
    # GIVEN a visitor who sent the Spanish form, then the very same answers from the English one
    first = post(client, valid_lead(language="es"))
    again = post(client, valid_lead(language="en"))

    # THEN the second is the first answer again, in Spanish, and staff get one lead
    assert again.headers["Idempotent-Replayed"] == "true"
    assert body_of(again) == body_of(first)
    assert len(leads(aws.table)) == 1


# --- Refusals that cannot be read in full still answer in the body's language ---
# A body over the limit, or one that is not JSON, is never parsed: its
# `language` is found leniently in the raw bytes, and its words are screened
# for a crisis as they came. Nothing here sends Accept-Language.

NO_ACCEPT = {"Accept-Language": None}
# Past the 16 KiB limit: what a visitor pastes into the message box, not a field we read.
PADDING = "recuerdo " * 2200
LIFELINE_ES = "Llame al 988 y marque 2"


def _spanish_lines(resources: list[dict[str, str]]) -> None:
    lines = {line["name"]: line for line in resources}
    assert LIFELINE_ES in lines["988 Línea de Prevención del Suicidio y Crisis"]["how"]
    assert lines["988 Línea de Prevención del Suicidio y Crisis"]["text"] == "sms:988?&body=AYUDA"
    assert lines["Servicios de emergencia"]["call"] == "tel:911"


def _oversized_json(layout: str) -> bytes:
    """A body over the limit; `layout` says where its `language` and its crisis words stand."""
    fields: dict[str, Any] = {"first_name": "Lucía", "phone": "202-555-0177", "preferred_contact": "phone"}
    if layout == "language first":
        body = {"language": "es", **fields, "message": f"{CRISIS} {PADDING}", "consent_to_contact": True}
    elif layout == "language last":
        body = {**fields, "message": f"{CRISIS} {PADDING}", "consent_to_contact": True, "language": "es"}
    else:  # crisis words at the very end of a long message, past the first 16 KiB
        body = {"language": "es", **fields, "consent_to_contact": True, "message": f"{PADDING} {CRISIS}"}
    raw = json.dumps(body, ensure_ascii=False).encode()
    assert len(raw) > 16 * 1024
    return raw


@pytest.mark.parametrize("layout", ["language first", "language last", "crisis words last"])
def test_an_oversized_spanish_json_body_is_refused_in_spanish_with_the_spanish_lines(
    client: Any, aws: Stack, all_logs: Any, layout: str
) -> None:
    # GIVEN a Spanish visitor in crisis whose pasted message makes the body too large
    response = post(client, None, NO_ACCEPT, raw=_oversized_json(layout))

    # THEN the 413 is in Spanish and carries the Spanish crisis lines (988, then 2)
    assert response.status_code == 413
    problem = body_of(response)
    assert problem["title"] == "Solicitud demasiado grande"
    _spanish_lines(problem["crisis_resources"])
    assert leads(aws.table) == []
    # AND nothing they wrote reached the logs
    assert "quitarme" not in all_logs() and "Lucía" not in all_logs()


def test_broken_spanish_json_is_refused_in_spanish_with_the_spanish_lines(client: Any, aws: Stack) -> None:
    # GIVEN the snippet's body cut short (a dropped connection, a proxy), saying Spanish
    raw = ('{"language": "es", "message": "' + CRISIS + '",').encode()

    # WHEN it arrives with no Accept-Language
    response = post(client, None, NO_ACCEPT, raw=raw)

    # THEN the 400 is in Spanish, with the Spanish lines
    assert response.status_code == 400
    problem = body_of(response)
    assert problem["title"] == "JSON mal formado"
    _spanish_lines(problem["crisis_resources"])


def test_broken_json_saying_spanish_in_any_spacing_or_case_is_refused_in_spanish(client: Any, aws: Stack) -> None:
    raw = b'{ "first_name":"Luc\xc3\xada" ,\n  "language" :\t"ES" , "message": '
    problem = body_of(post(client, None, NO_ACCEPT, raw=raw))
    assert problem["title"] == "JSON mal formado"
    assert "crisis_resources" not in problem


def test_a_language_only_inside_the_message_is_not_the_body_choosing_one(client: Any, aws: Stack) -> None:
    # The words "language": "es" typed into the message are escaped in JSON: they are not the field.
    raw = json.dumps({"message": 'my "language": "es" question'}).encode()[:-1]
    assert body_of(post(client, None, NO_ACCEPT, raw=raw))["title"] == "Malformed JSON"


def test_an_oversized_spanish_form_post_gets_a_spanish_page_with_the_spanish_lines(client: Any, aws: Stack) -> None:
    # GIVEN a Spanish form sent without JavaScript, its message too long, its hidden language field last
    form = (
        "first_name=Luc%C3%ADa&phone=202-555-0177&preferred_contact=phone&consent_to_contact=on"
        f"&message={quote_plus(CRISIS + ' ' + PADDING)}&language=es"
    ).encode()
    assert len(form) > 16 * 1024
    response = post(client, None, {**FORM, **NO_ACCEPT}, raw=form)

    # THEN the page is in Spanish and leads with the Spanish lines
    page = response.body.decode()
    assert response.status_code == 413
    assert page.startswith('<!doctype html><html lang="es">')
    assert "<title>Solicitud demasiado grande</title>" in page
    assert LIFELINE_ES in page
    assert page.index("crisis-title") < page.index('role="alert"><p>')


def test_an_unreadable_spanish_form_post_gets_a_spanish_page_with_the_spanish_lines(client: Any, aws: Stack) -> None:
    # GIVEN a form post with more fields than the edge reads (a broken or hostile page), saying Spanish
    extra = "&".join(f"campo{i}=x" for i in range(250))
    form = f"language=es&message={quote_plus(CRISIS)}&{extra}".encode()
    response = post(client, None, {**FORM, **NO_ACCEPT}, raw=form)

    page = response.body.decode()
    assert response.status_code == 400
    assert page.startswith('<!doctype html><html lang="es">')
    assert "<title>Solicitud no válida</title>" in page
    assert LIFELINE_ES in page


def test_a_language_far_inside_a_huge_body_is_not_searched_for_and_the_header_decides(client: Any, aws: Stack) -> None:
    # The lenient reading is bounded: only each end of an oversized body is read.
    raw = ('{"message": "' + PADDING * 3 + '", "language": "es", "notes": "' + PADDING * 3 + '"}').encode()
    response = post(client, None, {"Accept-Language": "en-US"}, raw=raw)
    assert response.status_code == 413
    assert body_of(response)["title"] == "Request too large"


# --- A Spanish crisis message with no language named gets the Spanish lines ---
# The English list's words ("suicid…") also catch Spanish ones, but only a
# Spanish message matches the Spanish list: then the crisis lines are the
# Spanish ones (the same numbers, with the Spanish option), whatever the
# browser says, unless the form named its language.


@pytest.mark.parametrize("accept", [None, "en-US,en;q=0.9"])
@pytest.mark.parametrize(
    "message",
    [
        CRISIS,
        # These match the English list too
        "me quiero suicidar, no aguanto mas esta depresion",
        "I want to kill myself, perdon no hablo bien ingles, quiero matarme",
    ],
)
def test_a_spanish_crisis_message_without_a_language_gets_the_spanish_lines(
    client: Any, aws: Stack, accept: str | None, message: str
) -> None:
    # GIVEN a visitor who wrote in Spanish on a form that names no language, from an English browser or none
    response = post(client, valid_lead(message=message), {"Accept-Language": accept})

    # THEN the crisis lines they are given are the Spanish ones
    assert response.status_code == 201
    _spanish_lines(body_of(response)["crisis_resources"])
    # AND the lead is urgent; its language stays the one the request asked for
    [lead] = leads(aws.table)
    assert lead["priority"] == "urgent" and lead["language"] == "en"


def test_the_english_form_filled_in_spanish_by_a_person_in_crisis_gives_the_spanish_lines(
    client: Any, aws: Stack
) -> None:
    # The English page's form always names English; the person wrote only Spanish.
    response = post(client, valid_lead(message=CRISIS, language="en"))
    assert response.status_code == 201
    _spanish_lines(body_of(response)["crisis_resources"])


def test_a_form_that_names_english_with_english_crisis_words_keeps_the_english_lines(client: Any, aws: Stack) -> None:
    response = post(client, valid_lead(message="I want to kill myself, ya no quiero vivir", language="en"))
    lines = body_of(response)["crisis_resources"]
    assert lines[0]["name"] == "988 Suicide & Crisis Lifeline"


def test_an_english_crisis_message_keeps_the_lines_of_the_answer(client: Any, aws: Stack) -> None:
    english = post(client, valid_lead(message="I want to kill myself"), NO_ACCEPT)
    assert body_of(english)["crisis_resources"][0]["name"] == "988 Suicide & Crisis Lifeline"
    spanish = post(client, valid_lead(message="I want to kill myself tonight"), {"Accept-Language": "es"})
    _spanish_lines(body_of(spanish)["crisis_resources"])


def test_a_no_javascript_spanish_crisis_page_without_a_language_gives_the_spanish_lines_marked_spanish(
    client: Any, aws: Stack
) -> None:
    form = (
        "first_name=Luc%C3%ADa&phone=202-555-0177&preferred_contact=phone&consent_to_contact=on"
        f"&submission_id=sub-es-3&message={quote_plus(CRISIS)}"
    ).encode()
    first = post(client, None, FORM, raw=form)
    again = post(client, None, FORM, raw=form)
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    for response in (first, again):
        page = response.body.decode()
        # The page is in the request's language; its crisis section is Spanish, and says so to a screen reader.
        assert page.startswith('<!doctype html><html lang="en">')
        assert '<section class="crisis" role="alert" aria-labelledby="crisis-title" lang="es">' in page
        assert "Si está en crisis, puede recibir ayuda ahora mismo" in page
        assert LIFELINE_ES in page


def test_every_refusal_of_a_spanish_crisis_message_without_a_language_gives_the_spanish_lines(
    client: Any, aws: Stack, deps: Any
) -> None:
    # A field to fix
    invalid = post(client, valid_lead(message=CRISIS, phone="12"))
    assert invalid.status_code == 422
    _spanish_lines(body_of(invalid)["crisis_resources"])
    # Broken JSON, an origin not allowed
    broken = post(client, None, NO_ACCEPT, raw=('{"message": "' + CRISIS + '"').encode())
    assert broken.status_code == 400
    _spanish_lines(body_of(broken)["crisis_resources"])
    foreign = post(client, valid_lead(message=CRISIS), {"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    _spanish_lines(body_of(foreign)["crisis_resources"])
    # Over the rate limit
    deps.settings = replace(deps.settings, rate_limit_window=1)
    post(client, valid_lead(email="uno@example.org"))
    limited = post(client, valid_lead(email="dos@example.org", message=CRISIS))
    assert limited.status_code == 429
    assert body_of(limited)["title"] == "Too many requests"
    _spanish_lines(body_of(limited)["crisis_resources"])
