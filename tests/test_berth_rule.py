"""One rule on berths, whoever makes the contract: one contract per berth and period, and a boat that fits."""

import datetime as dt

from conftest import Auth, csrf_token
from test_staff_import import run, sample

from marina_portal.core.formats import paris_today
from marina_portal.models import Berth, Boat, Contract, Customer, WaitingListApplication
from marina_portal.port_life import waiting_list

YEAR = paris_today().year


def facts(app):
    with app.app_context():
        martin = Customer.get(Customer.code == "C0002")
        return {
            "martin": martin.id,
            "mistral": Boat.get(Boat.code == "B0002").id,  # 11,50 m x 3,80 m
            "B-12": Berth.get(Berth.code == "B-12").id,  # 10,00 m x 3,50 m, JEAN DUPONT's this year
            "A-07": Berth.get(Berth.code == "A-07").id,  # free
        }


def new_contract(form_post, ids, berth, number, starts=f"{YEAR}-04-01", ends=f"{YEAR}-09-30", boat=None):
    return form_post(
        f"/staff/customers/{ids['martin']}/contracts/new",
        number=number,
        contract_type="Annuel",
        boat=str(boat or ids["mistral"]),
        berth=str(ids[berth]),
        starts_on=starts,
        ends_on=ends,
        price="100",
    )


def test_the_staff_form_refuses_a_held_berth_and_a_boat_too_big(app, client, auth, form_post):
    auth.staff(role="agent")
    ids = facts(app)
    taken = new_contract(form_post, ids, "B-12", f"{YEAR}-0900")
    html = taken.get_data(as_text=True).replace("&#39;", "'")
    assert taken.status_code != 303 and "Le poste B-12 est déjà attribué du 01/01" in html
    with app.app_context():  # B-12 free next year, but MISTRAL (11,50 m) is longer than its 10,00 m
        Contract.update(status="cancelled").where(Contract.berth == ids["B-12"]).execute()
    too_big = new_contract(form_post, ids, "B-12", f"{YEAR}-0901")
    assert too_big.status_code != 303 and "plus long que le poste B-12" in too_big.get_data(as_text=True)
    assert new_contract(form_post, ids, "A-07", f"{YEAR}-0902").status_code == 303
    later = new_contract(form_post, ids, "A-07", f"{YEAR}-0903", starts=f"{YEAR}-09-30", ends=f"{YEAR}-12-31")
    assert later.status_code != 303  # one shared day is an overlap
    assert (
        new_contract(form_post, ids, "A-07", f"{YEAR}-0904", starts=f"{YEAR}-10-01", ends=f"{YEAR}-12-31").status_code
        == 303
    )
    with app.app_context():
        assert Contract.select().where(Contract.number.startswith(f"{YEAR}-090")).count() == 2


def apply(app, length_cm, beam_cm):
    with app.app_context():
        user = Auth(app, app.test_client()).create_boater("C0002", email="sophie@example.com")
        return WaitingListApplication.create(
            port=Customer.get(Customer.code == "C0002").port,
            user=user,
            last_name="MARTIN",
            email="sophie@example.com",
            boat_name="MISTRAL II",
            length_cm=length_cm,
            beam_cm=beam_cm,
            wanted_from=dt.date(YEAR, 1, 1),
            status="active",
        )


def test_the_offer_page_lists_only_free_berths_that_fit(app, client, auth):
    application = apply(app, 1100, 350)
    auth.staff(role="agent")
    page = client.get(f"/staff/port/waiting-list/{application.id}/offer").get_data(as_text=True)
    options = page.split('name="berth"', 1)[1].split("</select>", 1)[0]
    assert "A-07" in options and "B-12" not in options  # B-12 is held (and 10,00 m is too short)
    assert "C-03" not in options  # SOPHIE MARTIN's own berth, held this year
    ids = facts(app)
    refused = client.post(
        f"/staff/port/waiting-list/{application.id}/offer",
        data={"csrf_token": csrf_token(page), "berth": str(ids["B-12"]), "deadline": paris_today().isoformat()},
    )
    assert refused.status_code == 200 and "A-07" in refused.get_data(as_text=True)
    with app.app_context():
        assert WaitingListApplication.get_by_id(application.id).status == "active"


def test_accepting_an_offer_on_a_berth_taken_meanwhile_creates_no_second_contract(app):
    application = apply(app, 800, 290)
    ids = facts(app)
    with app.app_context():
        WaitingListApplication.update(status="offered", offered_berth=ids["B-12"], offer_deadline=paris_today()).where(
            WaitingListApplication.id == application.id
        ).execute()
        before = Contract.select().where(Contract.berth == ids["B-12"]).count()
        try:
            waiting_list.accept_offer(WaitingListApplication.get_by_id(application.id))
        except waiting_list.WaitingListRefused as refusal:
            assert "n'est plus disponible" in str(refusal)
        else:
            raise AssertionError("accepted a berth already held")
        assert Contract.select().where(Contract.berth == ids["B-12"]).count() == before
        assert WaitingListApplication.get_by_id(application.id).status == "offered"


def test_an_import_refuses_a_held_berth_or_a_boat_too_big(app):
    for kind in ("customers", "boats", "berths"):
        assert run(app, kind, sample(kind)).ok
    contracts = sample("contracts").decode()
    too_big = contracts.replace("K1002;2026-1002;C1002;B1002;D-02", "K1002;2026-1002;C1002;B1002;D-01")
    report = run(app, "contracts", too_big.encode())
    assert not report.ok and not report.applied
    assert any("déjà attribué" in p for p in map(str, report.problems)), report.problems
    small = contracts.replace("K1003;2026-1003;C1003;B1003;D-03", "K1003;2026-1003;C1003;B1003;D-02")
    report = run(app, "contracts", small.encode())
    assert not report.ok and any("plus long que le poste D-02" in str(p) for p in report.problems)
    assert run(app, "contracts", contracts.encode()).ok  # the clean sample still goes in
    assert run(app, "contracts", contracts.encode()).ok  # and again: a line updates its own contract
