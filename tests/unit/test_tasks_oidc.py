from google.cloud import tasks_v2

from kindred_infra.tasks_emulator import delivery

TASK = "projects/p/locations/l/queues/q/tasks/t"


def task(oidc: bool) -> tasks_v2.Task:
    request = tasks_v2.HttpRequest(url="http://127.0.0.1:9/step", body=b"{}")
    if oidc:
        request.oidc_token = tasks_v2.OidcToken(service_account_email="sa@p", audience="aud")
    return tasks_v2.Task(name=TASK, http_request=request)


def test_a_task_that_asks_for_a_token_gets_one_signed_for_its_audience_and_account():
    request = delivery.request_for(task(oidc=True), sign=lambda aud, email: f"{aud}|{email}")
    assert request.headers["Authorization"] == "Bearer aud|sa@p"


def test_no_token_without_a_signer_or_without_the_task_asking():
    assert "Authorization" not in delivery.request_for(task(oidc=True)).headers
    signed = delivery.request_for(task(oidc=False), sign=lambda aud, email: "x")
    assert "Authorization" not in signed.headers
