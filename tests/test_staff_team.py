"""The administrator's pages: staff accounts (invite, role, switch off) and the audit journal."""

from conftest import PASSWORD, csrf_token

from marina_portal.models import User


def test_admin_invites_an_agent_who_chooses_a_password(app, client, auth, form_post, mailbox):
    auth.staff(role="admin")
    response = form_post("/staff/team", email="Marie@Example.com", role="agent")
    assert response.status_code == 303
    with app.app_context():
        user = User.get(User.email == "marie@example.com")
        assert user.role == "agent" and user.password_hash == ""
    link = mailbox.link("marie@example.com")
    other = app.test_client()
    path = link.split("127.0.0.1:5000", 1)[-1]
    page = other.get(path)
    assert page.status_code == 200
    other.post(
        path, data={"csrf_token": csrf_token(page.get_data(as_text=True)), "password": PASSWORD, "confirm": PASSWORD}
    )
    assert "Tableau de bord" in other.get("/staff/").get_data(as_text=True)
    assert "journal" in client.get("/staff/team").get_data(as_text=True).lower()
    assert "staff.create" in client.get("/staff/audit").get_data(as_text=True)


def test_admin_switches_an_agent_off_and_not_themselves(app, client, auth, form_post):
    agent = auth.create_staff("agent1@example.com", role="agent")
    auth.staff(role="admin", email="chef@example.com")
    agent_client = app.test_client()
    page = agent_client.get("/staff/login")
    agent_client.post(
        "/staff/login",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "email": "agent1@example.com",
            "password": PASSWORD,
        },
    )
    assert agent_client.get("/staff/").status_code == 200
    response = form_post("/staff/team", f"/staff/team/{agent.id}", role="agent", enabled="0")
    assert response.status_code == 303
    assert agent_client.get("/staff/").status_code == 302  # its session ended
    with app.app_context():
        me = User.get(User.email == "chef@example.com")
    form_post("/staff/team", f"/staff/team/{me.id}", role="agent", enabled="1")
    assert "propres droits" in client.get("/staff/team").get_data(as_text=True)
    with app.app_context():
        assert User.get_by_id(me.id).role == "admin"


def test_duplicate_staff_email_is_refused(app, client, auth, form_post):
    auth.staff(role="admin")
    response = form_post("/staff/team", email="agent@example.com", role="agent")
    assert response.status_code == 422 and "existe déjà" in response.get_data(as_text=True)
