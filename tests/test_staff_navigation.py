"""A harbour officer moves between every back-office page from the staff menu, Vie du port included."""

import pytest

STAFF_MENU = ("Tableau de bord", "Clients", "Règlements", "Prélèvements", "Vie du port")


@pytest.mark.parametrize(
    "url",
    [
        "/staff/",
        "/staff/port/",
        "/staff/port/calendar",
        "/staff/port/waiting-list",
        "/staff/port/news",
        "/staff/direct-debits",
    ],
)
def test_every_staff_page_has_the_staff_menu(client, auth, url):
    auth.staff(role="agent")
    html = client.get(url).get_data(as_text=True)
    menu = html.split('class="menu"', 1)[1].split("</ul>", 1)[0]
    for label in STAFF_MENU:
        assert f">{label}</a>" in menu, (url, label)
    assert "COMPTE CLIENT" not in menu and "CONTRAT" not in menu
    assert 'href="/staff/port/"' in menu


def test_the_back_office_stays_french_for_a_staff_member_who_chose_english(app, client, auth, form_post):
    auth.staff(role="agent")
    assert form_post("/staff/", "/language", language="en", next="/documents/").status_code in (302, 303)
    assert '<html lang="en">' in client.get("/documents/").get_data(as_text=True)  # the shared pages follow it
    for url in ("/staff/", "/staff/port/", "/staff/direct-debits"):
        html = client.get(url).get_data(as_text=True)
        assert '<html lang="fr">' in html and "Aide téléphonique" in html, url
        assert "Changer de langue" not in html and "Change language" not in html, url
