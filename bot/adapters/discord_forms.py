"""Curation forms as Discord modals (at most five text inputs), and the button that
reopens a form filled with what was typed when a submit failed.

    form = form_for("event", None, "accord-2020")
    await interaction.response.send_modal(CurationModal(form, on_submit))
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from bot.forms import DISCORD_MAX_FIELDS, Form

Interaction = discord.Interaction[discord.Client]
Submit = Callable[[Interaction, Form, dict[str, str]], Awaitable[None]]

TITLE_MAX = 45
LABEL_MAX = 45
PLACEHOLDER_MAX = 100
VALUE_MAX = 4000
# A form left open this long is dropped; its submit then gets no answer from this process.
FORM_TIMEOUT = 30 * 60.0
REOPEN_TIMEOUT = 15 * 60.0


class CurationModal(discord.ui.Modal):
    """One form as a modal: each field a text input whose custom_id is the field's name."""

    def __init__(self, form: Form, on_submit: Submit) -> None:
        self.form = form.limited(DISCORD_MAX_FIELDS)
        super().__init__(title=self.form.title[:TITLE_MAX], timeout=FORM_TIMEOUT)
        self._submit = on_submit
        self.inputs: dict[str, discord.ui.TextInput[CurationModal]] = {}
        for field in self.form.fields:
            text_input: discord.ui.TextInput[CurationModal] = discord.ui.TextInput(
                label=field.label[:LABEL_MAX],
                custom_id=field.name,
                style=discord.TextStyle.paragraph if field.multiline else discord.TextStyle.short,
                required=field.required,
                default=field.value[:VALUE_MAX] or None,
                placeholder=field.hint[:PLACEHOLDER_MAX] or None,
                max_length=VALUE_MAX,
            )
            self.inputs[field.name] = text_input
            self.add_item(text_input)

    async def on_submit(self, interaction: Interaction) -> None:
        values = {name: text_input.value for name, text_input in self.inputs.items()}
        await self._submit(interaction, self.form, values)


class ReopenView(discord.ui.View):
    """A "Reopen the form" button under the list of problems: the form comes back filled
    with everything that was typed."""

    def __init__(self, form: Form, on_submit: Submit) -> None:
        super().__init__(timeout=REOPEN_TIMEOUT)
        self.form = form
        self._submit = on_submit
        button: discord.ui.Button[ReopenView] = discord.ui.Button(
            label="Reopen the form", style=discord.ButtonStyle.primary, custom_id="accord:reopen"
        )
        button.callback = self._reopen  # type: ignore[method-assign]
        self.add_item(button)

    async def _reopen(self, interaction: Interaction) -> None:
        await interaction.response.send_modal(CurationModal(self.form, self._submit))
