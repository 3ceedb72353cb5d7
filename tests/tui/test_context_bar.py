"""Issue 14.8 (and 13.1's header): every screen says where it is — the database (password
masked), whose domains (a user, or all tenants) and DEMO in demo mode — and so does the
terminal's title."""

from __future__ import annotations

from tests.tui.conftest import SIZE_SMALL, build_app, settle
from tui.screens.domain_detail import DomainDetailScreen
from tui.widgets.context_bar import Place, database_label, terminal_title


def bar_text(app) -> str:
    return str(app.screen.query_one("#context").render())


def test_database_label_masks_passwords_and_shortens_home():
    assert database_label("postgresql://ops:s3cret@db.internal:5432/senderdeck") == "postgresql://ops:***@db.internal:5432/senderdeck"
    assert database_label("sqlite:////home/ops/.local/share/senderdeck/demo.db", home="/home/ops") == "~/.local/share/senderdeck/demo.db"
    assert database_label("sqlite:////var/lib/sd.db", home="/home/ops") == "/var/lib/sd.db"
    assert database_label("sqlite:///relative.db", home="/home/ops") == "relative.db"
    assert database_label("sqlite:////tmp/\x1b]2;evil\x07.db", home="/root") == "/tmp/]2;evil.db"


def test_a_long_database_is_shortened_keeping_its_end():
    from tui.widgets.context_bar import fit_database

    url = "postgresql://ops:***@db.internal:5432/senderdeck"
    assert fit_database(url, 60) == url
    assert fit_database(url, 45) == "postgresql://db.internal:5432/senderdeck"
    assert fit_database("~/a/very/long/path/to/the/data/senderdeck/demo.db", 24).endswith("demo.db")


def test_the_title_says_the_same():
    assert terminal_title(Place("~/demo.db", "alice", True), "shop.example") == "senderdeck — shop.example — alice @ ~/demo.db [DEMO]"
    assert terminal_title(Place("postgresql://ops:***@db/sd", None, False)) == "senderdeck — all tenants @ postgresql://ops:***@db/sd"


class Titles:
    """Collects what the app writes to the terminal."""

    def __init__(self, app) -> None:
        self.written: list[str] = []
        real = app._driver.write

        def write(data: str) -> None:
            self.written.append(data)
            real(data)

        app._driver.write = write

    @property
    def titles(self) -> list[str]:
        return [w[4:-1] for w in self.written if w.startswith("\x1b]2;")]


async def test_the_list_and_the_detail_screen_say_where_they_are(ctx, alice, clock, sample, settings):
    app = build_app(ctx, alice, clock, database_label=None)  # the real database, not the snapshots' label
    async with app.run_test(size=SIZE_SMALL) as pilot:
        titles = Titles(app)
        await settle(pilot)
        text = bar_text(app)
        assert "senderdeck" in text and "user alice" in text and "DEMO" not in text
        assert settings.database.rsplit("/", 1)[-1] in text  # the file name survives a cut path
        app.screen.table.move_to(sample["shop.example"])
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DomainDetailScreen) and "user alice" in bar_text(app)
        assert titles.titles[-1].startswith("senderdeck — shop.example — alice @ ")
        await pilot.press("escape")
        await settle(pilot)
        assert titles.titles[-1].startswith("senderdeck — alice @ ")
    assert titles.written[-1] == "\x1b[23;0t" or "\x1b[23;0t" in titles.written  # the shell's title back


async def test_demo_mode_and_every_tenant(ctx, alice, clock, sample):
    ctx.settings.demo = True
    app = build_app(ctx, alice, clock, database_label=None)
    app.all_tenants = True  # the operator view (issue 13) lists every tenant's domains
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        text = bar_text(app)
        assert "all tenants" in text and "DEMO" in text and "user alice" not in text
        assert app.terminal_title.startswith("senderdeck — all tenants @ ") and app.terminal_title.endswith("[DEMO]")
