"""How the manifest records where an object came from, and the name it lands under."""

from __future__ import annotations

from lakebox.landing.object_names import landed_name, stored_path


def test_a_pulled_url_keeps_its_own_percent_escapes():
    url = "http://127.0.0.1:8000/v1/counts?since=2025-06-30T13:00:00%2B02:00&page=1"
    assert stored_path(url) == url


def test_a_control_character_in_a_url_is_escaped():
    assert stored_path("https://api.example/a\nb") == "https://api.example/a%0Ab"


def test_a_file_path_escapes_a_percent_that_looks_like_an_escape():
    # so the literal name caf%FF.csv and a name holding the byte 0xFF stay two files
    assert stored_path("/data/caf%FF.csv") == "/data/caf%25FF.csv"
    assert stored_path("/data/caf\udcff.csv") == "/data/caf%FF.csv"
    assert stored_path("/data/50% off.csv") == "/data/50% off.csv"


def test_a_long_name_lands_shortened_and_keeps_its_extension():
    name = landed_name("n" * 300 + ".csv")
    assert name.endswith(".csv") and len(name.encode()) <= 120
