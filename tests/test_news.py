"""News and alerts: staff publish, boaters read them on the home page, mails go out in batches with a count."""

import datetime as dt

from marina_portal.accounts.logins import hash_password
from marina_portal.core.db import database
from marina_portal.models import Customer, NewsItem, Port, User
from marina_portal.port_life import news


def _text(response):
    return response.get_data(as_text=True).replace("&#39;", "'")


def test_published_news_and_alerts_show_on_the_home_page(app, client, auth, form_post):
    auth.staff()
    form_post("/staff/port/news", title="Fête du port", body="Samedi soir sur le quai.\nVenez nombreux.")
    response = form_post("/staff/port/news", title="Coupure d'eau", body="Pontons B et C, mardi 8h-12h.", is_alert="y")
    assert response.status_code == 303
    page = _text(client.get("/staff/port/news"))
    assert "Alerte : Coupure d'eau" in page and "Non envoyé par mail" in page
    boater = app.test_client()
    from conftest import Auth

    Auth(app, boater).boater("C0001")
    home = _text(boater.get("/"))
    assert "Alerte : Coupure d'eau" in home and 'role="alert"' in home
    assert "Informations du port" in home and "Fête du port" in home and "Venez nombreux." in home
    assert home.index("Coupure d'eau") < home.index("Fête du port")


def test_old_alerts_leave_the_home_page(app):
    with app.app_context():
        port = Port.get()
        old = news.publish(port, None, "Tempête", "Doublez les amarres.", is_alert=True)
        NewsItem.update(published_at=old.published_at - dt.timedelta(days=news.ALERT_DAYS + 1)).execute()
        news.publish(port, None, "Vent fort", "Rafales à 60 nœuds.", is_alert=True)
        alerts, items = news.for_home(port)
        assert [a.title for a in alerts] == ["Vent fort"] and items == []


def test_a_title_and_a_text_are_required(client, auth, form_post):
    auth.staff()
    page = _text(form_post("/staff/port/news", title="", body=""))
    assert page.count("Ce champ est obligatoire.") == 2


def _many_boaters(app, count):
    with app.app_context():
        port = Port.get()
        for n in range(count):
            customer = Customer.create(port=port, last_name=f"PLAISANCIER{n}", email=f"p{n}@example.com")
            User.create(email=f"p{n}@example.com", password_hash=hash_password("x" * 12), customer=customer)
        database.close()


def test_mailed_to_all_boaters_in_batches_with_a_progress_count(app, client, auth, form_post, mailbox, monkeypatch):
    monkeypatch.setattr(news, "BATCH_SIZE", 2)
    _many_boaters(app, 4)
    auth.create_boater("C0001")
    auth.staff()
    batches = []
    real = news.send_batch
    monkeypatch.setattr(news, "send_batch", lambda news_id: batches.append(news_id) or real(news_id))
    response = form_post("/staff/port/news", title="Travaux", body="Le quai nord est fermé lundi.", send_mail="y")
    assert response.status_code == 303
    messages = mailbox.wait_for(5)
    assert sorted(m["To"] for m in messages) == sorted(
        ["jean.dupont@example.com"] + [f"p{n}@example.com" for n in range(4)]
    )
    assert messages[0]["Subject"] == "Information du port : Travaux"
    assert "Le quai nord est fermé lundi." in mailbox.text(messages[0])
    assert len(batches) == 3  # 2 + 2 + 1
    with app.app_context():
        item = NewsItem.get()
        assert (item.mail_sent, item.mail_total) == (5, 5)
    page = _text(client.get("/staff/port/news"))
    assert "Mails envoyés : 5 / 5 (terminé)" in page


def test_progress_fragment_polls_while_sending(app, client, auth):
    with app.app_context():
        item = NewsItem.create(port=Port.get(), title="Alerte", body="…", mail_total=10, mail_sent=4)
        database.close()
    auth.staff()
    fragment = _text(client.get(f"/staff/port/news/{item.id}/progress", headers={"HX-Request": "true"}))
    assert "Mails envoyés : 4 / 10" in fragment and 'hx-trigger="every 2s"' in fragment
    assert "<html" not in fragment
    assert client.get(f"/staff/port/news/{item.id}/progress").status_code == 302
    assert client.get("/staff/port/news/999/progress", headers={"HX-Request": "true"}).status_code == 404


def test_staff_remove_a_news_item(app, client, auth, form_post):
    auth.staff()
    form_post("/staff/port/news", title="Erreur", body="Publiée par erreur.")
    with app.app_context():
        item_id = NewsItem.get().id
    form_post("/staff/port/news", f"/staff/port/news/{item_id}/delete")
    with app.app_context():
        assert NewsItem.select().count() == 0
