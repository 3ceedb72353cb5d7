"""Create or edit a sender domain: ``DomainFormModal(view=None)`` -> the saved ``DomainView`` or None.

Every field is checked as it is typed with the same functions and codes the service uses
(``normalize_domain``, ``validate_option_label``). Saving runs ``create_domain`` /
``update_domain`` in a thread worker; errors from core stay in the form as messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerState

from core import errors
from core.errors import ApiError
from core.validation import normalize_domain, to_unicode, validate_option_label
from core.views import DomainView
from tui.text import clean, plain
from tui.widgets.check_box import CheckBox
from tui.widgets.key_hints import KeyHints

FLAGS = (
    ("LinkTracking", "Link tracking", True),
    ("OpenTracking", "Open tracking", True),
    ("UnsubscribeLink", "Unsubscribe link", False),
)


def _error_text(exc: ApiError) -> str:
    """What the form says: the engine's message; the API's error code is for scripts."""
    return exc.message


class DomainFormModal(ModalScreen[DomainView | None]):
    CSS_PATH = "domain_form.tcss"
    HELP_TITLE = "Domain form"
    # The first field that can take text (the domain; on edit, the subdomain), focused as the
    # form is composed, so letters typed right after n are not lost.
    AUTO_FOCUS = "Input"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "save", "Save", id="form.save"),
    ]

    domain_input = getters.query_one("#domain", Input)
    form_error = getters.query_one("#form-error", Static)
    save_button = getters.query_one("#save", Button)

    saving: reactive[bool] = reactive(False, bindings=True)

    @dataclass
    class Saved(Message):
        view: DomainView
        regenerated: bool

    @dataclass
    class Failed(Message):
        error: ApiError

    def __init__(self, view: DomainView | None = None) -> None:
        super().__init__()
        self.view = view
        self._errors: dict[str, str] = {}
        self._close_when_saved = False

    # ---- layout ------------------------------------------------------------------------

    @property
    def _asks_owner(self) -> bool:
        """A new domain in the every-tenant view names its owner."""
        return self.view is None and getattr(getattr(self.app, "acting", None), "all_tenants", False)

    @property
    def _defaults(self) -> tuple[str, str]:
        settings = getattr(getattr(self.app, "service", None), "settings", None)
        return (getattr(settings, "mfrom_subdomain", "sl"), getattr(settings, "track_prefix", "track"))

    def compose(self) -> ComposeResult:
        options = self.view.options if self.view else {}
        default_sub, default_prefix = self._defaults
        title = f"Edit {to_unicode(self.view.domain)}" if self.view else "New sender domain"
        with Vertical(id="dialog"):
            yield Static(plain(title), id="title")
            with Horizontal(classes="field"):
                yield Label("Domain", classes="label")
                yield Input(
                    value=to_unicode(self.view.domain) if self.view else "",
                    placeholder="e.g. news.yourbrand.example",
                    id="domain",
                    compact=True,
                    disabled=self.view is not None,
                )
            yield Static("", id="domain-msg", classes="msg")
            if self._asks_owner:
                # Every tenant's list: the new domain is created for the tenant named here.
                with Horizontal(classes="field"):
                    yield Label("Owner", classes="label")
                    yield Input(placeholder="the tenant's user name", id="owner", compact=True)
                yield Static("", id="owner-msg", classes="msg")
            with Horizontal(classes="field"):
                yield Label("Subdomain", classes="label")
                yield Input(
                    value=options.get("CustomSubdomain") or "",
                    placeholder=f"blank: {default_sub} (the default)",
                    id="CustomSubdomain",
                    compact=True,
                )
            yield Static("", id="CustomSubdomain-msg", classes="msg")
            with Horizontal(classes="field"):
                yield Label("Track prefix", classes="label")
                yield Input(
                    value=options.get("CustomTrackPrefix") or "",
                    placeholder=f"blank: {default_prefix} (the default)",
                    id="CustomTrackPrefix",
                    compact=True,
                )
            yield Static("", id="CustomTrackPrefix-msg", classes="msg")
            with Horizontal(classes="checks"):
                for key, label, default in FLAGS[:2]:
                    yield CheckBox(label, bool(options.get(key, default)), id=key, compact=True)
            with Horizontal(classes="checks"):
                yield CheckBox("Unsubscribe link", bool(options.get("UnsubscribeLink", False)), id="UnsubscribeLink", compact=True)
                yield CheckBox(
                    "Use tracking subdomain",
                    not bool(options.get("TrackPrefixDisabled", False)),
                    id="UseTrackingSubdomain",
                    compact=True,
                )
            yield Static("", id="form-error")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Save" if self.view else "Create", id="save", variant="primary", compact=True)
            yield KeyHints(("tab", "next field"), ("space", "tick a box"), id="keys")

    # ---- live validation ---------------------------------------------------------------

    def _validate(self, field: str, value: str) -> str | None:
        """The message for ``field`` holding ``value``, or None when it is fine."""
        try:
            if field == "owner":
                # Whether that user exists is asked on saving (a database read, in the worker).
                return None if value.strip() else "Whose domain is it? Type the tenant's user name"
            if field == "domain":
                if self.view is not None:
                    return None
                normalize_domain(value)
            elif value.strip():
                validate_option_label(field, value)
            elif self.view is None or not (self.view.options.get(field) or ""):
                return None
        except ApiError as exc:
            return _error_text(exc)
        return None

    def _hint(self, field: str, value: str) -> str:
        """A helpful note when the field is valid (the ASCII form of an IDN, the default)."""
        if field == "domain" and value.strip() and self.view is None:
            ascii_name = normalize_domain(value)
            return f"stored as {ascii_name}" if ascii_name != value.strip().lower() else ""
        if field != "domain" and not value.strip() and self.view is not None and self.view.options.get(field):
            default = self._defaults[0 if field == "CustomSubdomain" else 1]
            return f"blank: back to the default '{default}'"
        return ""

    def _show(self, field: str, value: str) -> None:
        message = self._validate(field, value)
        widget = self.query_one(f"#{field}-msg", Static)
        if message:
            self._errors[field] = message
            widget.update(plain(message))
            widget.set_class(True, "-error")
        else:
            self._errors.pop(field, None)
            widget.update(plain(self._hint(field, value)))
            widget.set_class(False, "-error")

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.input.id:
            self._show(event.input.id, event.value)
        self.form_error.update("")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    # ---- saving ------------------------------------------------------------------------

    def params(self) -> dict:
        """What to send: everything on create; only what changed on edit (a partial update)."""
        values = {field: self.query_one(f"#{field}", Input).value.strip() for field in ("CustomSubdomain", "CustomTrackPrefix")}
        checks = {key: self.query_one(f"#{key}", CheckBox).value for key, _, _ in FLAGS}
        use_tracking = self.query_one("#UseTrackingSubdomain", CheckBox).value
        if self.view is None:
            params: dict = {"SenderDomain": self.domain_input.value.strip(), **checks}
            params["UseTrackingSubdomain"] = use_tracking
            params.update({k: v for k, v in values.items() if v})
            return params
        options = self.view.options
        params = {key: value for key, value in checks.items() if bool(options.get(key, dict((k, d) for k, _, d in FLAGS)[key])) != value}
        if use_tracking == bool(options.get("TrackPrefixDisabled", False)):
            params["UseTrackingSubdomain"] = use_tracking
        defaults = dict(zip(("CustomSubdomain", "CustomTrackPrefix"), self._defaults))
        for field, value in values.items():
            current = (options.get(field) or "").lower()
            if value.lower() != current:
                # The engine has no way to clear an override: blank means "the default label".
                if value or current:
                    params[field] = value or defaults[field]
        return params

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save" and self.saving:
            return None
        return True

    def watch_saving(self, saving: bool) -> None:
        if self.is_mounted:
            self.save_button.disabled = saving

    def action_save(self) -> None:
        if self.saving:
            return
        for field in ("domain", "owner", "CustomSubdomain", "CustomTrackPrefix"):
            if field != "owner" or self._asks_owner:
                self._show(field, self.query_one(f"#{field}", Input).value)
        if self._errors:
            first = next(iter(self._errors))
            self.set_focus(self.query_one(f"#{first}", Input))
            return
        params = self.params()
        if self.view is not None and not params:
            self.dismiss(self.view)
            return
        self.saving = True
        self.form_error.update("Saving…")
        owner = self.query_one("#owner", Input).value.strip() if self._asks_owner else None
        self._save(params, owner)

    @work(thread=True, exclusive=True, group="domain-form", exit_on_error=False)
    def _save(self, params: dict, owner_name: str | None) -> None:
        acting = self.app.acting
        try:
            if self.view is None:
                owner = acting.find_user(owner_name) if owner_name else None
                if owner_name and owner is None:
                    raise ApiError(errors.NOT_FOUND, f"No user named {owner_name!r} (senderdeck user list)", 404)
                view, regenerated = acting.create(params, owner), False
            else:
                view, regenerated = acting.edit(self.view.id, params)
        except ApiError as exc:
            self.post_message(self.Failed(exc))
            return
        self.post_message(self.Saved(view, regenerated))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self.saving = False
        name = to_unicode(message.view.domain)
        if self.view is None:
            self.app.notify(markup=False, message=clean(f"Created {name}: publish its DNS records, then verify."), title="Domain created")
        elif message.regenerated:
            self.app.notify(
                markup=False,
                message=clean(f"DNS records of {name} changed: publish the new records, then verify again."),
                title="DNS records regenerated",
                severity="warning",
                timeout=10,
            )
        else:
            self.app.notify(markup=False, message=clean(f"Saved {name}."))
        self.dismiss(message.view)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.saving = False
        text = _error_text(message.error)
        if self._close_when_saved:  # escape was pressed while saving: say why nothing was saved, and close
            self.app.notify(markup=False, message=clean(text), title="Not saved", severity="error")
            self.dismiss(None)
            return
        field = {6: None, 1: "domain", 4: "domain", 7: "domain"}.get(message.error.code)
        if message.error.code == 6:
            field = "CustomTrackPrefix" if "CustomTrackPrefix" in message.error.message else "CustomSubdomain"
        if field and (field != "domain" or self.view is None):
            widget = self.query_one(f"#{field}-msg", Static)
            widget.update(plain(text))
            widget.set_class(True, "-error")
            self.form_error.update("")
        else:
            self.form_error.update(plain(text))
        self.app.notify(markup=False, message=clean(text), title="Not saved", severity="error")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "domain-form" and event.state == WorkerState.ERROR:
            self.saving = False
            text = f"Unexpected error: {event.worker.error}"
            self.form_error.update(plain(text))
            self.app.notify(markup=False, message=clean(text), title="Not saved", severity="error")

    # ---- buttons -----------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_cancel(self):
        if self.saving:
            # Escape typed right after enter (a burst): the save is under way and its result
            # must still reach the list, so the form closes with it when it comes.
            self._close_when_saved = True
            return None
        return self.dismiss(None)  # awaited by the binding: the keys after escape are the screen's below
