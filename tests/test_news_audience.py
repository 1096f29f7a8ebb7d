"""Port alerts go to the berth holders (home page and mail) unless the harbour office addresses them to all."""

from conftest import Auth
from test_news import _many_boaters, _text

from marina_portal.core.db import database
from marina_portal.models import NewsItem


def test_an_alert_reaches_berth_holders_only_unless_the_office_chooses_all(app, client, auth, form_post, mailbox):
    _many_boaters(app, 2)  # logins without a contract, as waiting-list applicants have
    auth.create_boater("C0001")
    auth.staff()
    form_post("/staff/port/news", title="Coupure d'eau", body="Ponton B, mardi.", is_alert="y", send_mail="y")
    assert [m["To"] for m in mailbox.wait_for(1)] == ["jean.dupont@example.com"]
    jean, applicant = app.test_client(), app.test_client()
    Auth(app, jean).login("jean.dupont@example.com")
    Auth(app, applicant).login("p0@example.com", "x" * 12)
    assert "Coupure d&#39;eau" in jean.get("/").get_data(as_text=True)
    page = _text(applicant.get("/"))
    assert "Bienvenue" in page and "Coupure d" not in page

    mailbox.clear()
    form_post("/staff/port/news", title="Tempête", body="Port fermé.", is_alert="y", alert_for_all="y", send_mail="y")
    assert len(mailbox.wait_for(3)) == 3
    assert "Tempête" in _text(applicant.get("/"))
    with app.app_context():
        assert [(i.title, i.mail_total) for i in NewsItem.select().order_by(NewsItem.id)] == [
            ("Coupure d'eau", 1),
            ("Tempête", 3),
        ]
        database.close()
