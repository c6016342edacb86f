"""The admin site for policy (departments, services and their questions) and a read-only view of cases."""

import json

import pytest

from civicdesk.cases import actions
from civicdesk.cases.models import Case, Department, Service
from civicdesk.test import PASSWORD


@pytest.fixture
def admin_client(client, cast):
    assert client.login(email="root@demo.test", password=PASSWORD)
    assert client.get("/admin/").status_code == 200
    return client


def inline_management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_it_lets_the_administrator_add_a_department(admin_client):
    response = admin_client.post(
        "/admin/cases/department/add/",
        {
            "code": "water",
            "name": "Water and Sewer",
            "email": "water@city.test",
            "translations": json.dumps({"es": {"name": "Agua"}}),
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    water = Department.objects.get(code="water")
    assert water.name == "Water and Sewer" and water.translations == {"es": {"name": "Agua"}}


def test_it_lets_the_administrator_add_a_service_with_its_questions(admin_client, cast):
    data = {
        "code": "graffiti",
        "name": "Graffiti",
        "group": "Streets",
        "keywords": "tag, spray paint",
        "translations": "{}",
        "default_department": cast.public_works.pk,
        "default_priority": "4",
        "active": "on",
        **inline_management("attributes", 2),
        "attributes-0-code": "surface",
        "attributes-0-label": "What is it on?",
        "attributes-0-datatype": "singlevaluelist",
        "attributes-0-required": "on",
        "attributes-0-order": "1",
        "attributes-0-values": json.dumps([{"key": "wall", "name": "Wall"}, {"key": "sign", "name": "Sign"}]),
        "attributes-0-translations": "{}",
        "attributes-1-code": "offensive",
        "attributes-1-label": "Is it offensive?",
        "attributes-1-datatype": "string",
        "attributes-1-order": "2",
        "attributes-1-values": "[]",
        "attributes-1-translations": "{}",
    }
    response = admin_client.post("/admin/cases/service/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    graffiti = Service.objects.get(code="graffiti")
    assert graffiti.default_department == cast.public_works and graffiti.default_priority == 4
    questions = list(graffiti.attributes.values_list("code", "datatype", "required"))
    assert questions == [("surface", "singlevaluelist", True), ("offensive", "string", False)]
    # the new service takes reports at once, with its questions checked
    case = actions.submit_case(service="graffiti", answers={"surface": "wall"})
    assert case.department == cast.public_works and case.priority == 4


def test_it_shows_a_case_read_only_with_its_timeline(admin_client, cast):
    case = actions.submit_case(service=cast.pothole, answers={"depth": "deep"})
    actions.reply(case, cast.bob, "Crew booked for Tuesday")
    actions.add_note(case, cast.dave, "Needs the big truck")
    url = f"/admin/cases/case/{case.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert case.number in page and "Timeline" in page
    assert "Crew booked for Tuesday" in page and "Needs the big truck" in page and "Bob Worker" in page
    assert 'name="_save"' not in page  # no Save button that would only be refused
    # The reporter's private key to the case is shown nowhere; "view on site" opens the staff page.
    assert case.tracking_token not in page and f"/staff/cases/{case.number}/" in page
    assert admin_client.get("/admin/cases/case/").status_code == 200
    assert case.number in admin_client.get("/admin/cases/case/").content.decode()


def test_it_refuses_to_add_change_or_delete_a_case_in_the_admin(admin_client, cast):
    case = actions.submit_case(service=cast.pothole, answers={"depth": "deep"})
    before = Case.objects.values().get()
    assert admin_client.get("/admin/cases/case/add/").status_code == 403
    response = admin_client.post(
        f"/admin/cases/case/{case.pk}/change/", {"status": "closed", "description": "edited"}
    )
    assert response.status_code == 403
    assert admin_client.post(f"/admin/cases/case/{case.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Case.objects.values().get() == before


@pytest.mark.parametrize("name", ["bob", "dave", "erin", "alice"])
def test_it_sends_everyone_but_administrators_away_from_the_admin(client, cast, name):
    assert client.login(email=f"{name}@demo.test", password=PASSWORD)
    for url in ["/admin/", "/admin/cases/case/", "/admin/cases/department/add/"]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/admin/login/"), url


def service_form(cast, **attribute):
    question = {
        "code": "colour",
        "label": "Colour?",
        "datatype": "singlevaluelist",
        "order": "1",
        "values": json.dumps([{"key": "red", "name": "Red"}]),
        "translations": "{}",
    } | attribute
    return {
        "code": "paint",
        "name": "Paint",
        "translations": "",
        "default_department": cast.public_works.pk,
        "default_priority": "3",
        "active": "on",
        **inline_management("attributes", 1),
        **{f"attributes-0-{key}": value for key, value in question.items()},
    }


def test_it_takes_emptied_json_boxes_as_none(admin_client, cast):
    data = service_form(cast, datatype="string", values="", translations="")
    assert admin_client.post("/admin/cases/service/add/", data).status_code == 302
    paint = Service.objects.get(code="paint")
    assert paint.translations == {} and paint.attributes.get().values == []


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ({"values": "[]"}, "A question with choices needs at least one choice."),
        ({"values": json.dumps([{"name": "Red"}])}, "Write the choices as"),
        ({"values": json.dumps([{"key": "r", "name": "R"}, {"key": "r", "name": "Rouge"}])}, "its own key"),
        ({"values": json.dumps({"red": "Red"})}, "Write the choices as"),
        ({"translations": json.dumps(["es"])}, "a language code, then its texts"),
    ],
)
def test_it_refuses_question_json_the_portal_could_not_read(admin_client, cast, question, message):
    response = admin_client.post("/admin/cases/service/add/", service_form(cast, **question))
    assert response.status_code == 200 and message in response.content.decode()
    assert not Service.objects.filter(code="paint").exists()
