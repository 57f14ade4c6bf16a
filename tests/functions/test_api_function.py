def test_health_answers_with_the_version(api_client):
    response = api_client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_an_unknown_route_is_a_json_404_that_names_it(api_client):
    response = api_client.get("/nowhere")
    assert response.status_code == 404
    assert "GET /nowhere" in response.get_json()["message"]
