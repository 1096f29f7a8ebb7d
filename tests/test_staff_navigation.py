"""A harbour officer moves between every back-office page from the staff menu, Vie du port included."""
import pytest

STAFF_MENU = ("Tableau de bord", "Clients", "Règlements", "Prélèvements", "Vie du port")


@pytest.mark.parametrize("url", ["/staff/", "/staff/port/", "/staff/port/calendar", "/staff/port/waiting-list",
                                 "/staff/port/news", "/staff/direct-debits"])
def test_every_staff_page_has_the_staff_menu(client, auth, url):
    auth.staff(role="agent")
    html = client.get(url).get_data(as_text=True)
    menu = html.split('class="menu"', 1)[1].split("</ul>", 1)[0]
    for label in STAFF_MENU:
        assert f">{label}</a>" in menu, (url, label)
    assert "COMPTE CLIENT" not in menu and "CONTRAT" not in menu
    assert 'href="/staff/port/"' in menu
