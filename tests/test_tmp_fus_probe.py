from datetime import timedelta
from mnc_exchange.extensions import db
from mnc_exchange.followup import services
from mnc_exchange.followup.models import EvaluationKind
from mnc_exchange.accounts.models import Role
from tests.factories import UserFactory, CompanyFactory
from tests.test_followup_student import make_internship, current, past, login, student_of, TODAY


def test_dump(client, auth):
    company = CompanyFactory()
    i = make_internship(*current(), company=company, locale="fr")
    p = make_internship(*past(), company=company, locale="fr")
    services.confirm_return(p, past()[1], student_of(p))
    ev, token = services.send_evaluation_link(i, EvaluationKind.final, None)
    db.session.commit()
    login(client, student_of(i))
    open("/tmp/fus_index_fr.html", "wb").write(client.get("/my/internship").data)
    open("/tmp/fus_dash_fr.html", "wb").write(client.get("/dashboard").data)
    client.post("/logout")
    login(client, student_of(p))
    open("/tmp/fus_index_past_fr.html", "wb").write(client.get("/my/internship").data)
    s = services.surveys(p)[0]
    r = client.get(f"/my/internship/surveys/{s.id}"); assert r.status_code == 200
    open("/tmp/fus_survey_fr.html", "wb").write(r.data)
    r = client.get("/my/internship/situation"); assert r.status_code == 200
    client.post("/logout")
    r = client.get(f"/evaluation/{token}"); assert r.status_code == 200
    open("/tmp/fus_eval_fr.html", "wb").write(r.data)
    host = auth.as_role("host", company_id=company.id)
    r = client.get("/company/interns"); assert r.status_code == 200
    open("/tmp/fus_host_fr.html", "wb").write(r.data)
    from mnc_exchange.mail.models import OutboxMessage
    for m in db.session.query(OutboxMessage).all():
        print("=====", m.recipient, m.subject); print(m.body_text)
