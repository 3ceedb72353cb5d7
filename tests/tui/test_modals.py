"""Pilot tests of the modals: confirm, create/edit with live validation, send test (aiosmtpd)."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from core.models import SenderDomain
from tests.tui.detail_support import HostApp, loopback_dns, notifications, relay, settle  # noqa: F401
from tui.modals.confirm import ConfirmModal
from tui.modals.domain_form import DomainFormModal
from tui.modals.send_test import SendTestModal


@pytest.fixture(autouse=True)
def _fast_dns(loopback_dns):
    return loopback_dns


class Results:
    def __init__(self) -> None:
        self.values: list = []

    def __call__(self, value) -> None:
        self.values.append(value)


async def open_modal(app, pilot, modal) -> Results:
    results = Results()
    app.push_screen(modal, results)
    await pilot.pause()
    return results


def msg(app, field: str) -> str:
    return str(app.screen.query_one(f"#{field}-msg", Static).render())


@pytest.mark.parametrize("keys, expected", [("y", True), ("n", False), ("escape", False)])
async def test_confirm_answers(ctx, alice, keys, expected):
    app = HostApp(ctx, alice)
    async with app.run_test(size=(80, 24)) as pilot:
        results = await open_modal(app, pilot, ConfirmModal("Delete [/x]?", "It [bold]goes"))
        assert "Delete [/x]?" in str(app.screen.query_one("#title", Static).render())
        await pilot.press(keys)
        await pilot.pause()
        assert results.values == [expected]


async def test_confirm_buttons(ctx, alice):
    app = HostApp(ctx, alice)
    async with app.run_test(size=(80, 24)) as pilot:
        results = await open_modal(app, pilot, ConfirmModal("Delete?", "Sure?"))
        await pilot.click("#yes")
        await pilot.pause()
        assert results.values == [True]


@pytest.mark.parametrize(
    "typed, said",
    [
        ("localhost", "localhost is not a valid sender domain"),
        ("bad_domain!.com", "'_' and '!' are not allowed"),
        ("[bold]x[/]", "'[', ']' and '/' are not allowed"),  # issue 14.5: not "an IP address"
        ("1.2.3.4", "an IP address is not a domain name"),
        ("example", "a single label is not a domain"),
    ],
)
async def test_create_form_validates_the_domain_live(ctx, alice, typed, said):
    app = HostApp(ctx, alice)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_modal(app, pilot, DomainFormModal())
        await pilot.press(*typed)
        assert said in msg(app, "domain") and "code" not in msg(app, "domain")  # issue 14.14: no "(code 7)"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DomainFormModal)
        assert SenderDomain.select().count() == 0


async def test_create_form_validates_labels_live_and_shows_idn_form(ctx, alice):
    app = HostApp(ctx, alice)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_modal(app, pilot, DomainFormModal())
        await pilot.press(*"bücher.example")
        assert "stored as xn--bcher-kva.example" in msg(app, "domain")
        app.screen.query_one("#CustomSubdomain", Input).focus()
        await pilot.press(*"-em")
        assert "Invalid CustomSubdomain" in msg(app, "CustomSubdomain") and "code" not in msg(app, "CustomSubdomain")
        await pilot.press("home", "delete")
        assert msg(app, "CustomSubdomain") == ""


async def test_create_saves_and_dismisses_with_the_view(ctx, alice):
    app = HostApp(ctx, alice)
    async with app.run_test(size=(80, 24)) as pilot:
        results = await open_modal(app, pilot, DomainFormModal())
        await pilot.press(*"Example.COM")
        app.screen.query_one("#CustomSubdomain", Input).focus()
        await pilot.press(*"em")
        await pilot.press("ctrl+s")
        await settle(pilot)
        (view,) = results.values
        assert view.domain == "example.com"
        assert view.options["CustomSubdomain"] == "em"
        assert "em.example.com" in view.verification_meta["DNSRecords"]
        assert all(r.verified is None for r in view.records())
        assert any(n.startswith("Domain created") for n in notifications(app))


async def test_create_error_from_core_stays_in_the_form(ctx, alice):
    alice.domain_limit = 1
    alice.save()
    ctx.service.create_domain(alice, {"SenderDomain": "first.example"})
    app = HostApp(ctx, alice)
    async with app.run_test(size=(80, 24)) as pilot:
        results = await open_modal(app, pilot, DomainFormModal())
        await pilot.press(*"second.example", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DomainFormModal)
        assert results.values == []
        assert str(app.screen.query_one("#form-error").render()) == "Sender domain limit reached for your account"
        assert any("Sender domain limit reached" in n for n in notifications(app))
        assert not app.screen.query_one("#save").disabled


async def test_edit_sends_only_what_changed(ctx, alice):
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com", "CustomSubdomain": "em"})
    app = HostApp(ctx, alice)
    async with app.run_test(size=(80, 24)) as pilot:
        results = await open_modal(app, pilot, DomainFormModal(view))
        form = app.screen
        assert form.query_one("#domain", Input).disabled
        assert form.params() == {}
        await pilot.click("#UnsubscribeLink")
        assert form.params() == {"UnsubscribeLink": True}
        form.query_one("#CustomSubdomain", Input).value = ""
        await pilot.pause()
        assert "back to the default 'sl'" in msg(app, "CustomSubdomain")
        assert form.params() == {"UnsubscribeLink": True, "CustomSubdomain": "sl"}
        await pilot.press("ctrl+s")
        await settle(pilot)
        (saved,) = results.values
        assert saved.options["UnsubscribeLink"] == 1
        assert "sl.example.com" in saved.verification_meta["DNSRecords"]
        assert any(n.startswith("DNS records regenerated") for n in notifications(app))


async def test_edit_without_changes_dismisses_without_writing(ctx, alice):
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    app = HostApp(ctx, alice)
    async with app.run_test(size=(80, 24)) as pilot:
        results = await open_modal(app, pilot, DomainFormModal(view))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert results.values == [view]
        assert notifications(app) == []


# ---- send test ------------------------------------------------------------------------------



async def test_send_test_delivers_and_shows_the_message_id(ctx, alice, relay):
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    app = HostApp(ctx, alice)
    async with app.run_test(size=(80, 24)) as pilot:
        results = await open_modal(app, pilot, SendTestModal(view))
        await pilot.press(*"ops@example.net", "tab")
        await pilot.press(*"Hello [/x]", "enter")
        await settle(pilot)
        (received,) = relay.messages
        assert received.rcpt_tos == ["ops@example.net"]
        assert received.message["Subject"] == "Hello [/x]"
        outcome = str(app.screen.query_one("#outcome").render())
        assert "Sent to ops@example.net" in outcome and "Message-ID: senderdomaintest_" in outcome
        await pilot.press("escape")
        await pilot.pause()
        (result,) = results.values
        assert result.to == "ops@example.net"


async def test_send_test_shows_the_relay_refusal(ctx, alice, relay):
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    app = HostApp(ctx, alice)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_modal(app, pilot, SendTestModal(view))
        await pilot.press(*"nobody@example.net", "ctrl+s")
        await settle(pilot)
        outcome = str(app.screen.query_one("#outcome").render())
        assert "Test message delivery failed" in outcome and "User unknown" in outcome and "(code" not in outcome
        assert relay.messages == []
        assert not app.screen.query_one("#send").disabled


async def test_send_test_bad_recipient_says_so_and_editing_clears_it(ctx, alice, relay):
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    app = HostApp(ctx, alice)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_modal(app, pilot, SendTestModal(view))
        outcome = lambda: str(app.screen.query_one("#outcome").render())  # noqa: E731
        await pilot.press("ctrl+s")
        assert outcome() == "Enter the address to send the test message to"
        await pilot.press("o")
        assert outcome() == ""  # issue 14.12: an error clears once the field is edited
        await pilot.press("backspace", *"not-an-address", "enter")  # enter in To sends
        await settle(pilot)
        assert "recipient" in outcome().lower() and "(code" not in outcome()
        await pilot.press("x")
        assert outcome() == ""
        assert relay.messages == []


async def test_enter_in_to_sends(ctx, alice, relay):
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    app = HostApp(ctx, alice)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_modal(app, pilot, SendTestModal(view))
        await pilot.press(*"ops@example.net", "enter")
        await settle(pilot)
        (received,) = relay.messages
        assert received.rcpt_tos == ["ops@example.net"] and received.message["Subject"].startswith("Sender domain test from")


async def test_send_test_in_demo_mode_says_so_before_anything_is_typed(ctx, alice, relay):
    ctx.settings.demo = True
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    app = HostApp(ctx, alice)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_modal(app, pilot, SendTestModal(view))
        modal = app.screen
        assert "Demo mode: no mail leaves this machine" in str(modal.query_one("#demo-note").render())
        assert modal.query_one("#send").disabled and modal.check_action("send", ()) is None
        await pilot.press(*"ops@example.net", "enter")
        await settle(pilot)
        assert relay.messages == [] and "Demo mode" in str(modal.query_one("#outcome").render())


async def test_placeholders_describe_the_fields_not_look_like_values(ctx, alice):
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    app = HostApp(ctx, alice)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_modal(app, pilot, SendTestModal(view))
        for field in ("#to", "#subject"):
            placeholder = app.screen.query_one(field, Input).placeholder
            assert "@" not in placeholder and "example.com" not in placeholder
