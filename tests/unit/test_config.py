from kindred.config import Settings


def test_defaults_are_local_and_safe():
    settings = Settings.from_env({})
    assert settings.graph_url.startswith("http://127.0.0.1")
    assert not settings.local  # no emulator named: nothing pretends to be local


def test_the_environment_overrides_each_setting():
    settings = Settings.from_env(
        {
            "GOOGLE_CLOUD_PROJECT": "p",
            "KINDRED_BUCKET": "b",
            "FIRESTORE_EMULATOR_HOST": "h:1",
            "STORAGE_EMULATOR_HOST": "http://h:2",
            "CLOUD_TASKS_EMULATOR_HOST": "h:3",
        }
    )
    assert (settings.project, settings.bucket) == ("p", "b")
    assert settings.local
