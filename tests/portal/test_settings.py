"""Settings as the environment makes them: production refuses unsafe values at start-up, and a
proper production environment passes Django's deployment checks without a warning.

Each case starts ``manage.py`` in a fresh process, because settings are read once per process.
"""

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = secrets.token_urlsafe(64)
PORT = 14080  # this suite's own port range (14000-14999)


@pytest.fixture
def environ(tmp_path):
    """The test's own environment without any RAYPORT_ variable, data in a temporary folder.
    (The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for their own process; a deployment never has it.)"""
    unwanted = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAYPORT_") and k not in unwanted}
    env["RAYPORT_DATA_DIR"] = str(tmp_path)
    return env


@pytest.fixture
def production(environ):
    return {
        **environ,
        "RAYPORT_ENV": "production",
        "RAYPORT_SECRET_KEY": STRONG_KEY,
        "RAYPORT_ALLOWED_HOSTS": "portal.clinic.example",
    }


def manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def settings_of(env, *names):
    """Some settings as a fresh process sees them."""
    script = (
        "import json, django; from django.conf import settings; django.setup();"
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _refuses(result, variable):
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr.strip().splitlines()[-1]


# --- Production refuses to start with unsafe settings ------------------------------------------------


def test_production_with_debug_refuses_to_start(production):
    _refuses(manage({**production, "RAYPORT_DEBUG": "true"}, "check"), "RAYPORT_DEBUG")


@pytest.mark.parametrize("key", ["", "short", "django-insecure-" + "x" * 60, "ab" * 40])
def test_production_with_a_weak_or_missing_secret_key_refuses_to_start(production, key):
    env = {**production, "RAYPORT_SECRET_KEY": key}
    if not key:
        del env["RAYPORT_SECRET_KEY"]
    _refuses(manage(env, "check"), "RAYPORT_SECRET_KEY")


def test_production_without_allowed_hosts_refuses_to_start(production):
    env = dict(production)
    del env["RAYPORT_ALLOWED_HOSTS"]
    _refuses(manage(env, "check"), "RAYPORT_ALLOWED_HOSTS")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RAYPORT_ENV", "staging"),
        ("RAYPORT_SESSION_IDLE_MINUTES", "0"),
        ("RAYPORT_SESSION_MAX_HOURS", "half a day"),
        ("RAYPORT_LOGIN_FAILURE_LIMIT", "0"),
        ("DATABASE_URL", "mysql://db/rayport"),
        ("RAYPORT_CACHE_KEY_PREFIX", "north clinic"),
        ("RAYPORT_STAGING_IDLE_DAYS", "0"),
        ("RAYPORT_STAGING_IDLE_DAYS", "a week"),
    ],
)
def test_a_bad_value_names_its_variable(environ, variable, value):
    _refuses(manage({**environ, variable: value}, "check"), variable)


# --- A proper production environment ---------------------------------------------------------------------


def test_production_passes_the_deployment_checks_without_warnings(production):
    result = manage(production, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_security_settings(production):
    values = settings_of(
        production,
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "ALLOWED_HOSTS",
    )
    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "ALLOWED_HOSTS": ["portal.clinic.example"],
    }


def test_development_defaults(environ):
    values = settings_of(environ, "DEBUG", "SESSION_COOKIE_SECURE", "ALLOWED_HOSTS", "SECRET_KEY")
    assert values["DEBUG"] is False  # `make run` serves like a product: no technical pages
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "[::1]"]
    # A random key is made once and kept in the data folder.
    assert values["SECRET_KEY"] == (Path(environ["RAYPORT_DATA_DIR"]) / "secret_key").read_text().strip()


@pytest.mark.parametrize(("value", "debug"), [("1", True), ("true", True), ("0", False)])
def test_debug_is_on_only_when_asked_for(environ, value, debug):
    assert settings_of({**environ, "RAYPORT_DEBUG": value}, "DEBUG") == {"DEBUG": debug}


def test_the_embedded_default_serves_friendly_pages_and_its_static_files(environ):
    """What `make run` starts (runportal runs `manage.py runserver`), on the embedded default:
    DEBUG off, yet the CSS is served (WhiteNoise), and a wrong address gets the portal's 404
    page, not Django's list of URL patterns."""
    env = {k: v for k, v in environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload", "--skip-checks"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        css = _get_when_up(f"http://127.0.0.1:{PORT}/static/css/rayport.css")
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")
        assert ".auth-card" in css.text
        missing = httpx.get(f"http://localhost:{PORT}/no-such-page/", headers={"accept-language": "es"})
        assert missing.status_code == 404
        assert "<h1>No encontrado</h1>" in missing.text
        assert "/static/css/rayport.css" in missing.text
        assert "URLconf" not in missing.text
        assert "DEBUG" not in missing.text
    finally:
        server.terminate()
        server.wait(10)


def _get_when_up(url: str) -> httpx.Response:
    deadline = time.monotonic() + 60
    while True:
        try:
            return httpx.get(url)
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_the_embedded_broker_keeps_every_folder_in_the_data_folder(environ):
    env = {k: v for k, v in environ.items() if k != "REDIS_URL"}
    options = settings_of(env, "CELERY_BROKER_TRANSPORT_OPTIONS")["CELERY_BROKER_TRANSPORT_OPTIONS"]
    data = Path(env["RAYPORT_DATA_DIR"])
    folders = [v for k, v in options.items() if k.endswith("folder") or k.startswith("data_folder")]
    assert sorted(folders) == sorted(
        [str(data / "broker")] * 2 + [str(data / "broker" / "control"), str(data / "broker" / "processed")]
    )


def test_session_and_sign_in_limits_come_from_the_environment(environ):
    env = {
        **environ,
        "RAYPORT_SESSION_IDLE_MINUTES": "5",
        "RAYPORT_SESSION_MAX_HOURS": "2",
        "RAYPORT_LOGIN_FAILURE_LIMIT": "3",
        "RAYPORT_LOGIN_COOLOFF_MINUTES": "30",
    }
    values = settings_of(
        env,
        "SESSION_COOKIE_AGE",
        "SESSION_MAX_HOURS",
        "SESSION_SAVE_EVERY_REQUEST",
        "AXES_FAILURE_LIMIT",
        "AXES_COOLOFF_TIME",
    )
    assert values == {
        "SESSION_COOKIE_AGE": 300,
        "SESSION_MAX_HOURS": 2,
        "SESSION_SAVE_EVERY_REQUEST": False,
        "AXES_FAILURE_LIMIT": 3,
        "AXES_COOLOFF_TIME": 0.5,
    }


def test_two_portals_on_one_redis_keep_their_cache_keys_apart(environ):
    """The prefix reaches the cache (nothing by default), so two portals sharing a Redis
    database do not read each other's entries."""
    env = {**environ, "REDIS_URL": "redis://127.0.0.1:6379/0"}
    plain = settings_of(env, "CACHES")["CACHES"]["default"]
    north = settings_of({**env, "RAYPORT_CACHE_KEY_PREFIX": "north-1"}, "CACHES")["CACHES"]["default"]
    assert (plain["KEY_PREFIX"], north["KEY_PREFIX"]) == ("", "north-1")
    assert north["BACKEND"] == "portal.cache.RedisCache"


def test_two_portals_on_one_redis_keep_their_tasks_apart(environ):
    """The prefix also goes before the broker's keys: a task one portal queues waits under its
    own key, where the other portal's workers never look (they took each other's uploads)."""
    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"
    env = {**environ, "REDIS_URL": url}
    told = settings_of({**env, "RAYPORT_CACHE_KEY_PREFIX": "north-1"}, "CELERY_BROKER_TRANSPORT_OPTIONS")
    assert told["CELERY_BROKER_TRANSPORT_OPTIONS"]["global_keyprefix"] == "north-1:"
    queued = (
        "import django; django.setup(); from postdicom.handoff import send;send('postdicom.local.tasks.resume_uploads')"
    )
    keys = redis.Redis.from_url(url)
    keys.delete("north-1:celery", "south-2:celery")
    for prefix in ("north-1", "north-1", "south-2"):
        result = subprocess.run(
            [sys.executable, "-c", queued],
            cwd=ROOT,
            env={**env, "RAYPORT_CACHE_KEY_PREFIX": prefix, "DJANGO_SETTINGS_MODULE": "portal.settings"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
    assert (keys.llen("north-1:celery"), keys.llen("south-2:celery")) == (2, 1)
    keys.delete("north-1:celery", "south-2:celery")


def test_abandoned_uploads_are_cleared_after_a_week_unless_told(environ):
    assert settings_of(environ, "RAYPORT_STAGING_IDLE_DAYS") == {"RAYPORT_STAGING_IDLE_DAYS": 7}
    told = settings_of({**environ, "RAYPORT_STAGING_IDLE_DAYS": "30"}, "RAYPORT_STAGING_IDLE_DAYS")
    assert told == {"RAYPORT_STAGING_IDLE_DAYS": 30}


# --- Where files are stored (RAYPORT_STORAGE, RAYPORT_S3_*) -------------------------------------------

S3 = {
    "RAYPORT_STORAGE": "s3",
    "RAYPORT_S3_BUCKET": "clinic-images",
    "RAYPORT_S3_ENDPOINT_URL": "https://minio.clinic.example:9000",
    "RAYPORT_S3_REGION": "eu-west-1",
    "RAYPORT_S3_ACCESS_KEY": "key-id",
    "RAYPORT_S3_SECRET_KEY": "key-secret",
    "RAYPORT_S3_PREFIX": "/rayport/",
    "RAYPORT_S3_ADDRESSING_STYLE": "path",
}


def test_local_disk_is_the_default(environ):
    storage = settings_of(environ, "STORAGES")["STORAGES"]["dicom"]
    assert storage["BACKEND"] == "postdicom.local.uploads.storage.AtomicFileSystemStorage"


def test_s3_takes_the_bucket_and_its_connection_from_the_environment(environ):
    storage = settings_of({**environ, **S3}, "STORAGES")["STORAGES"]["dicom"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert {k: options[k] for k in ("bucket_name", "endpoint_url", "region_name", "location", "addressing_style")} == {
        "bucket_name": "clinic-images",
        "endpoint_url": "https://minio.clinic.example:9000",
        "region_name": "eu-west-1",
        "location": "rayport",
        "addressing_style": "path",
    }
    assert (options["access_key"], options["secret_key"]) == ("key-id", "key-secret")
    assert options["file_overwrite"] is True


def test_s3_settings_build_a_working_storage(environ):
    """The pinned django-storages and boto3 are installed and accept every option."""
    env = {**environ, **S3, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    result = manage(
        env,
        "shell",
        "-c",
        "from postdicom.local.uploads.storage import file_storage; s = file_storage(); "
        "print(type(s).__name__, s.bucket.name, s.connection.meta.client.meta.endpoint_url)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "S3Storage",
        "clinic-images",
        "https://minio.clinic.example:9000",
    ]


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"RAYPORT_STORAGE": "s3"}, "RAYPORT_S3_BUCKET"),
        ({"RAYPORT_STORAGE": "ftp"}, "RAYPORT_STORAGE"),
        ({**S3, "RAYPORT_S3_ENDPOINT_URL": "minio:9000"}, "RAYPORT_S3_ENDPOINT_URL"),
        ({**S3, "RAYPORT_S3_ADDRESSING_STYLE": "dns"}, "RAYPORT_S3_ADDRESSING_STYLE"),
        ({**S3, "RAYPORT_S3_SECRET_KEY": ""}, "RAYPORT_S3_SECRET_KEY"),
    ],
)
def test_a_bad_storage_setting_names_its_variable(environ, variables, named):
    _refuses(manage({**environ, **variables}, "check"), named)


# --- The cloud backend's institutions (PostDICOM's API cannot list them) ---------------------------

CLOUD = {
    "RAYPORT_BACKEND": "postdicom.cloud.CloudBackend",
    "RAYPORT_CLOUD_URL": "https://rayport.example/dicomweb/",
    "RAYPORT_CLOUD_API_KEY": "rk_example",
}


def test_the_cloud_institutions_come_from_the_environment_in_their_order(environ):
    env = {
        **environ,
        **CLOUD,
        "RAYPORT_CLOUD_INSTITUTIONS": " 9b2f6f8e-1d6a-4c55-9a57-3f1f2a1b0c01=Clínica Central ; "
        "0a0e5c52-7a43-4f0e-8d8e-52b1ad0f3c02=North; ",
    }
    options = settings_of(env, "POSTDICOM")["POSTDICOM"]["OPTIONS"]
    assert options["institutions"] == [
        ["9b2f6f8e-1d6a-4c55-9a57-3f1f2a1b0c01", "Clínica Central"],
        ["0a0e5c52-7a43-4f0e-8d8e-52b1ad0f3c02", "North"],
    ]
    assert settings_of({**environ, **CLOUD}, "POSTDICOM")["POSTDICOM"]["OPTIONS"]["institutions"] == []


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("Main clinic", "key=value"),
        ("not-a-uuid=Main", "'not-a-uuid' is not a UUID"),
        ("9b2f6f8e-1d6a-4c55-9a57-3f1f2a1b0c01=", "key=value"),
        ("9b2f6f8e-1d6a-4c55-9a57-3f1f2a1b0c01=A;9B2F6F8E-1D6A-4C55-9A57-3F1F2A1B0C01=B", "given twice"),
    ],
)
def test_a_bad_cloud_institution_stops_the_start_naming_it(environ, value, said):
    result = manage({**environ, **CLOUD, "RAYPORT_CLOUD_INSTITUTIONS": value}, "check")
    _refuses(result, "RAYPORT_CLOUD_INSTITUTIONS")
    assert said in result.stderr.strip().splitlines()[-1]
