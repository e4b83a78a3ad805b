"""How the CLI prints an error: one `error:` line, the hint after it, on a line of its own
when the message has several."""

from __future__ import annotations

from lakebox.cli.render import show_error
from lakebox.errors import ConfigError, QueryError
from tests.cli.conftest import lakebox


def test_the_hint_of_an_unknown_table_is_not_glued_to_the_caret_line(ran):
    result = lakebox("query", "SELECT * FROM sales", cwd=ran)
    assert result.returncode == 1
    lines = result.stderr.rstrip("\n").splitlines()
    assert lines[0].startswith("error: ")
    assert (
        lines[-1]
        == "did you mean formatted.sales or quarantine.sales? lakebox tables are named zone.table"
    )
    assert not any(line.rstrip().endswith("^;") for line in lines)


def test_a_one_line_message_keeps_its_hint_after_a_semicolon(capsys):
    show_error(ConfigError("no project file", hint="run 'lakebox init' to create one"))
    assert capsys.readouterr().err == "error: no project file; run 'lakebox init' to create one\n"


def test_an_error_s_text_is_never_read_as_markup(capsys):
    show_error(QueryError("no column [bold]x[/bold]\nLINE 1: [red]\n     ^", hint="see [link]"))
    err = capsys.readouterr().err
    assert err == "error: no column [bold]x[/bold]\nLINE 1: [red]\n     ^\nsee [link]\n"
