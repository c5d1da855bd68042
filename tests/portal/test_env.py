"""The strict environment readers: good values convert, bad ones name the variable."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import check_secret_key, env_bool, env_choice, env_int, env_list, env_match, env_str, env_url


def _refused(call, name="RAYPORT_X"):
    with pytest.raises(ImproperlyConfigured) as raised:
        call()
    assert name in str(raised.value)
    return str(raised.value)


def test_env_reads_os_environ_by_default(monkeypatch):
    monkeypatch.setenv("RAYPORT_X", " hello ")
    assert env_str("RAYPORT_X") == "hello"
    monkeypatch.delenv("RAYPORT_X")
    assert env_str("RAYPORT_X", "fallback") == "fallback"


def test_env_str():
    assert env_str("RAYPORT_X", "d", environ={}) == "d"
    assert env_str("RAYPORT_X", "d", environ={"RAYPORT_X": "   "}) == "d"
    assert env_str("RAYPORT_X", environ={"RAYPORT_X": " v "}) == "v"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("TRUE", True),
        ("yes", True),
        ("On", True),
        ("0", False),
        ("false", False),
        ("NO", False),
        ("off", False),
    ],
)
def test_env_bool(raw, expected):
    assert env_bool("RAYPORT_X", not expected, environ={"RAYPORT_X": raw}) is expected


def test_env_bool_default_and_bad_values():
    assert env_bool("RAYPORT_X", True, environ={}) is True
    for raw in ("maybe", "2", "tru"):
        assert repr(raw) in _refused(lambda raw=raw: env_bool("RAYPORT_X", False, environ={"RAYPORT_X": raw}))


def test_env_int():
    assert env_int("RAYPORT_X", 7, environ={}) == 7
    assert env_int("RAYPORT_X", 7, environ={"RAYPORT_X": " 42 "}) == 42
    assert env_int("RAYPORT_X", 7, minimum=1, maximum=42, environ={"RAYPORT_X": "42"}) == 42
    assert "whole number" in _refused(lambda: env_int("RAYPORT_X", 7, environ={"RAYPORT_X": "4.5"}))
    assert "whole number" in _refused(lambda: env_int("RAYPORT_X", 7, environ={"RAYPORT_X": "ten"}))
    assert "at least 1" in _refused(lambda: env_int("RAYPORT_X", 7, minimum=1, environ={"RAYPORT_X": "0"}))
    assert "at most 10" in _refused(lambda: env_int("RAYPORT_X", 7, maximum=10, environ={"RAYPORT_X": "11"}))


def test_env_list():
    assert env_list("RAYPORT_X", ["a"], environ={}) == ["a"]
    assert env_list("RAYPORT_X", [], environ={"RAYPORT_X": " a.example , ,b.example,"}) == ["a.example", "b.example"]
    default = ["x"]
    env_list("RAYPORT_X", default, environ={}).append("y")
    assert default == ["x"]  # the caller's default is not shared


def test_env_match():
    pattern, what = r"[a-z-]{1,8}", "a short name"
    assert env_match("RAYPORT_X", "", pattern, what, environ={}) == ""
    assert env_match("RAYPORT_X", "", pattern, what, environ={"RAYPORT_X": " north-a "}) == "north-a"
    message = _refused(lambda: env_match("RAYPORT_X", "", pattern, what, environ={"RAYPORT_X": "North clinic"}))
    assert message == "RAYPORT_X must be a short name, not 'North clinic'."
    assert "a short name" in _refused(lambda: env_match("RAYPORT_X", "", pattern, what, environ={"RAYPORT_X": "x" * 9}))


def test_env_choice():
    choices = ("local", "s3")
    assert env_choice("RAYPORT_X", "local", choices, environ={}) == "local"
    assert env_choice("RAYPORT_X", "local", choices, environ={"RAYPORT_X": "S3"}) == "s3"
    message = _refused(lambda: env_choice("RAYPORT_X", "local", choices, environ={"RAYPORT_X": "ftp"}))
    assert "local, s3" in message


def test_env_url():
    schemes = ("redis", "rediss")
    assert env_url("RAYPORT_X", "", schemes, environ={}) == ""
    assert env_url("RAYPORT_X", "", schemes, environ={"RAYPORT_X": "redis://h:6379/0"}) == "redis://h:6379/0"
    assert env_url("RAYPORT_X", "", schemes, environ={"RAYPORT_X": "REDISS://h"}) == "REDISS://h"
    for raw in ("http://h", "h:6379", "redis:/h"):
        message = _refused(lambda raw=raw: env_url("RAYPORT_X", "", schemes, environ={"RAYPORT_X": raw}))
        assert "redis://" in message


def test_check_secret_key():
    check_secret_key("RAYPORT_X", "k" * 10 + "abcdefghij" * 5)
    assert "must be set" in _refused(lambda: check_secret_key("RAYPORT_X", ""))
    for weak in ("short-key", "a" * 60, "django-insecure-" + "abcdefghij" * 6):
        assert "too weak" in _refused(lambda weak=weak: check_secret_key("RAYPORT_X", weak))


def test_env_institutions():
    from uuid import UUID

    from portal.env import env_institutions

    main, north = "9b2f6f8e-1d6a-4c55-9a57-3f1f2a1b0c01", "0a0e5c52-7a43-4f0e-8d8e-52b1ad0f3c02"
    assert env_institutions("RAYPORT_X", environ={}) == ()
    read = env_institutions("RAYPORT_X", environ={"RAYPORT_X": f"{main}=Main clinic; {north} = North=Side ;"})
    assert read == ((UUID(main), "Main clinic"), (UUID(north), "North=Side"))
    assert "not a UUID" in _refused(lambda: env_institutions("RAYPORT_X", environ={"RAYPORT_X": "x=Main"}))
    assert "key=value" in _refused(lambda: env_institutions("RAYPORT_X", environ={"RAYPORT_X": f"{main}"}))
    assert "key=value" in _refused(lambda: env_institutions("RAYPORT_X", environ={"RAYPORT_X": f"=Main;{main}=A"}))
    twice = {"RAYPORT_X": f"{main}=A;{main.upper()}=B"}
    assert "twice" in _refused(lambda: env_institutions("RAYPORT_X", environ=twice))
