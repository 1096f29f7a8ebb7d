"""The tariff grid: the public « Tarifs » page and its simulator, the PDF, staff edits with their history."""

import re

from conftest import csrf_token

from marina_portal.core.db import database
from marina_portal.models import AuditLog, Document, Tariff, TariffRate
from marina_portal.tariffs import grid


def _text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_public_page_simulates_jean_duponts_place_without_login(client):
    page = client.get("/tarifs/?longueur=9,50&categorie=Ponton&periode=annual")
    assert page.status_code == 200
    assert "Bateau de 9,50 m, place annuelle : 1 520,00 € TTC" in _text(page)
    assert "dont TVA 20 % : 253,33 €" in _text(page)
    assert "Bateau de 10,00 m, place annuelle : 1 520,00 € TTC" in _text(client.get("/tarifs/?longueur=10"))
    assert "Bateau de 10,01 m, place annuelle : 1 920,00 € TTC" in _text(client.get("/tarifs/?longueur=10,01"))
    monthly = client.get("/tarifs/?longueur=9.5&periode=month")
    assert "place au mois : 228,00 € TTC" in _text(monthly)


def test_area_rate_needs_the_beam(client):
    asked = "/tarifs/?longueur=9,50&categorie=Terre-plein&periode=annual"
    assert "indiquez aussi la largeur" in _text(client.get(asked))
    # 9,50 × 3,20 = 30,4 m² at 20,00 € HT: 608,00 € HT, 729,60 € TTC
    assert "place annuelle : 729,60 € TTC" in _text(client.get(asked + "&largeur=3,20"))


def test_simulator_bad_inputs_get_french_words(client):
    for query in ("longueur=abc", "longueur=", "longueur=-3", "longueur=9,5&largeur=x", "longueur=999999"):
        page = client.get("/tarifs/?" + query)
        assert page.status_code == 200
        assert "Indiquez une mesure en mètres" in _text(page) or "n'est pas connue" in _text(page), query
    assert "Pas de tarif" in _text(client.get("/tarifs/?longueur=25"))
    assert client.get("/tarifs/?longueur=9&periode=nope&categorie=zz&annee=xx").status_code == 200


def test_grid_pdf_public_and_in_the_download_space(app, client, auth):
    year = _year(app)
    pdf = client.get(f"/tarifs/{year}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get("/tarifs/1999.pdf").status_code == 404
    auth.boater()
    assert f"Tarifs {year}" in _text(client.get("/documents/"))


def _year(app):
    with app.app_context():
        return Tariff.get().year


def _staff_post(client, url, page_url, **fields):
    token = csrf_token(client.get(page_url).get_data(as_text=True))
    return client.post(url, data=dict(fields, csrf_token=token))


def test_staff_make_next_season_edit_publish_with_history(app, client, auth):
    auth.staff()
    year = _year(app)
    response = _staff_post(client, "/staff/tariffs", "/staff/tariffs", year=str(year + 1), copy_from="1", uplift="2,5")
    assert response.status_code == 303
    with app.app_context():
        draft = Tariff.get(Tariff.year == year + 1)
        rate = TariffRate.get(
            (TariffRate.tariff == draft) & (TariffRate.length_to_cm == 1000) & (TariffRate.period == "annual")
        )
        assert rate.price_ht_cents == 129834  # 1 266,67 € + 2,5 %
        draft_id, rate_id = draft.id, rate.id
        database.close()
    # a draft is not public
    assert f"Tarifs {year + 1}" not in _text(client.get(f"/tarifs/?annee={year + 1}"))
    page = f"/staff/tariff-rates/{rate_id}"
    response = _staff_post(
        client,
        page,
        page,
        category="Ponton",
        period="annual",
        length_from="9",
        length_to="10",
        basis="flat",
        price="1 300,00",
        vat_rate="2000",
    )
    assert response.status_code == 303
    response = _staff_post(client, f"/staff/tariffs/{draft_id}/publish", f"/staff/tariffs/{draft_id}")
    assert response.status_code == 303
    public = _text(client.get(f"/tarifs/?annee={year + 1}&longueur=9,50"))
    assert "Bateau de 9,50 m, place annuelle : 1 560,00 € TTC" in public
    history = _text(client.get(f"/staff/tariffs/{draft_id}"))
    assert "tariff.rate_update" in history and "tariff.publish" in history and "tariff.create" in history
    with app.app_context():
        assert AuditLog.select().where(AuditLog.action == "tariff.rate_update").get().before.count("129834") == 1
        assert (
            Document.select().where((Document.title == f"Tarifs {year + 1}") & (Document.kind == "published")).count()
            == 1
        )
    # an edit of a published season replaces its PDF
    _staff_post(
        client,
        page,
        page,
        category="Ponton",
        period="annual",
        length_from="9",
        length_to="10",
        basis="flat",
        price="1 310,00",
        vat_rate="2000",
    )
    with app.app_context():
        titles = [d.kind for d in Document.select().where(Document.title == f"Tarifs {year + 1}")]
        assert sorted(titles) == ["published", "withdrawn"]


def test_staff_bad_inputs_are_refused_in_french(app, client, auth):
    auth.staff()
    year = _year(app)
    assert "existe déjà" in _text(_staff_post(client, "/staff/tariffs", "/staff/tariffs", year=str(year), uplift="0"))
    for year_text in ("abc", "1800", ""):
        response = _staff_post(client, "/staff/tariffs", "/staff/tariffs", year=year_text, uplift="0")
        assert response.status_code == 422
    assert "pourcentage" in _text(_staff_post(client, "/staff/tariffs", "/staff/tariffs", year="2090", uplift="xx"))
    show = "/staff/tariffs/1"
    bad = [
        ({"length_to": "abc"}, "mètres"),
        ({"price": "douze"}, "prix en euros"),
        ({"length_from": "10", "length_to": "9"}, "doit dépasser"),
        ({"length_from": "9,5", "length_to": "10,5"}, "chevauche"),
        ({"category": ""}, "obligatoire"),
    ]
    for change, words in bad:
        fields = dict(
            category="Ponton",
            period="annual",
            length_from="15",
            length_to="18",
            basis="flat",
            price="100",
            vat_rate="2000",
        )
        fields.update(change)
        response = _staff_post(client, "/staff/tariffs/1/rates", show, **fields)
        assert response.status_code == 422 and words in _text(response), change
    fields = dict(
        category="Ponton", period="annual", length_from="15", length_to="18", basis="flat", price="100", vat_rate="1234"
    )
    assert _staff_post(client, "/staff/tariffs/1/rates", show, **fields).status_code == 422
    assert client.get("/staff/tariffs/999").status_code == 404
    assert client.get("/staff/tariff-rates/999").status_code == 404


def test_quote_rules(app):
    with app.app_context():
        tariff = Tariff.get()
        assert grid.quote(tariff, "Ponton", "annual", 950).ttc_cents == 152000
        assert grid.quote(tariff, "Ponton", "annual", 1150).ttc_cents == 234000  # SOPHIE MARTIN's 11,50 m
        try:
            grid.quote(tariff, "Ponton", "annual", 0)
        except grid.NoRate as e:
            assert "longueur" in str(e)
        else:
            raise AssertionError("a boat without length has no price")


def test_boater_and_anonymous_cannot_reach_staff_tariffs(client, auth):
    assert client.get("/staff/tariffs").status_code == 302
    auth.boater()
    assert client.get("/staff/tariffs").status_code == 403
