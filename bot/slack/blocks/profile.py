"""The join, skills and pause modals, the profile summary, and the validation messages."""

from __future__ import annotations

from babel import Locale
from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    DatePickerElement,
    DividerBlock,
    InputBlock,
    Option,
    OptionGroup,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
    UserMultiSelectElement,
)
from slack_sdk.models.views import View

from bot.i18n import Translator
from bot.services.catalog import CatalogDef
from bot.services.enrollment import (
    MAX_AVOIDED,
    MAX_LANGUAGES,
    MAX_SKILLS_PER_KIND,
    MEETING_LANGUAGES,
    Problem,
    ProfileForm,
    ProfileProblem,
    SkillsForm,
)
from bot.slack.blocks.common import context, escape, format_day, md, plain, section
from bot.slack.ids import (
    LEVEL_OFFERED_PREFIX,
    LEVEL_WANTED_PREFIX,
    JoinModal,
    PauseModal,
    SkillsModal,
)
from bot.slack.metadata import ModalMeta
from bot.store.models import (
    ABOUT_MAX,
    DEPARTMENT_MAX,
    Cadence,
    Participant,
    Role,
    SkillKind,
    Status,
    TimeWindow,
)

WEEKDAYS = (0, 1, 2, 3, 4)
ANY_WEEKDAY = "any"


def _opt(text: str, value: str, description: str | None = None) -> Option:
    return Option(
        text=plain(text), value=value, description=plain(description) if description else None
    )


def _select(block_id: str, label: str, options: list[Option], selected: object) -> InputBlock:
    """A required single-choice input with the current value preselected."""
    return InputBlock(
        block_id=block_id,
        label=plain(label),
        element=StaticSelectElement(
            action_id=block_id,
            options=options,
            initial_option=next((o for o in options if o.value == str(selected)), None),
        ),
    )


def skill_label(catalog: CatalogDef, key: str, language: str) -> str:
    """A skill's label in the UI language (English, then the key, as fallbacks)."""
    for spec in catalog.skills:
        if spec.key == key:
            return spec.labels.get(language) or spec.labels["en"]
    return key


def _skill_groups(catalog: CatalogDef, language: str) -> list[OptionGroup]:
    groups = []
    for cat_key, cat_labels in catalog.categories.items():
        options = [
            _opt(s.labels.get(language) or s.labels["en"], s.key)
            for s in catalog.skills
            if s.category == cat_key
        ]
        if options:
            groups.append(
                OptionGroup(
                    label=plain(cat_labels.get(language) or cat_labels["en"]), options=options
                )
            )
    return groups


def _level_options(t: Translator) -> list[Option]:
    names = (t._("New to it"), t._("Basics"), t._("Comfortable"), t._("Advanced"), t._("Expert"))
    return [_opt(f"{i} · {name}", str(i)) for i, name in enumerate(names, start=1)]


def _skill_inputs(
    t: Translator,
    catalog: CatalogDef,
    kind: SkillKind,
    chosen: dict[str, int],
    *,
    required_hint: bool,
) -> list[Block]:
    """A multi-select of skills followed by one level picker per chosen skill."""
    groups = _skill_groups(catalog, t.language)
    by_value = {o.value: o for g in groups for o in (g.options or [])}
    initial = [by_value[k] for k in chosen if k in by_value]
    if kind is SkillKind.OFFERED:
        block_id, prefix = JoinModal.SKILLS_OFFERED, LEVEL_OFFERED_PREFIX
        label = t._("Digital skills I can share")
        hint = t._("Mentors pick at least one. Pick up to {max}.", max=MAX_SKILLS_PER_KIND)
        level_label = t._("My level in: {skill}")
    else:
        block_id, prefix = JoinModal.SKILLS_WANTED, LEVEL_WANTED_PREFIX
        label = t._("Digital skills I want to learn")
        hint = t._("Mentees pick at least one. Pick up to {max}.", max=MAX_SKILLS_PER_KIND)
        level_label = t._("My current level in: {skill}")
    blocks: list[Block] = [
        InputBlock(
            block_id=block_id,
            label=plain(label),
            hint=plain(hint) if required_hint else None,
            optional=True,
            # Changing the selection updates the modal with a level picker per skill.
            dispatch_action=True,
            element=StaticMultiSelectElement(
                action_id=block_id,
                placeholder=plain(t._("Choose skills")),
                option_groups=groups,
                initial_options=initial or None,
                max_selected_items=MAX_SKILLS_PER_KIND,
            ),
        )
    ]
    levels = _level_options(t)
    for key, level in chosen.items():
        if key not in by_value:
            continue
        blocks.append(
            InputBlock(
                block_id=prefix + key,
                label=plain(level_label.format(skill=skill_label(catalog, key, t.language))[:2000]),
                optional=True,
                element=StaticSelectElement(
                    action_id=prefix + key,
                    options=levels,
                    initial_option=levels[min(max(level, 1), 5) - 1],
                ),
            )
        )
    return blocks


def _language_options(ui_language: str) -> list[Option]:
    names = Locale.parse(ui_language).languages
    return [_opt(names.get(code, code).capitalize(), code) for code in MEETING_LANGUAGES]


def weekday_name(day: int, ui_language: str) -> str:
    """Monday..Friday in the UI language, from CLDR."""
    return str(Locale.parse(ui_language).days["format"]["wide"][day])


def cadence_label(t: Translator, cadence: Cadence) -> str:
    """A cadence for people."""
    return {
        Cadence.WEEKLY: t._("Weekly"),
        Cadence.BIWEEKLY: t._("Every two weeks"),
        Cadence.MONTHLY: t._("Monthly"),
    }[cadence]


def window_label(t: Translator, window: TimeWindow) -> str:
    """A time window for people."""
    return {
        TimeWindow.MORNING: t._("Mornings (9–12)"),
        TimeWindow.MIDDAY: t._("Around midday (12–14)"),
        TimeWindow.AFTERNOON: t._("Afternoons (14–17)"),
        TimeWindow.ANY: t._("Any time"),
    }[window]


def role_label(t: Translator, role: Role) -> str:
    """A role for people."""
    return t._("Mentor") if role is Role.MENTOR else t._("Mentee")


def privacy_notice(t: Translator) -> str:
    """What is stored, who sees what, how long, and how to withdraw."""
    return t._(
        "*Privacy.* While you take part we store your Slack ID, role, skills, department, "
        "meeting languages, time zone, Slack language, meeting preferences and what you tell "
        "your partner about yourself. Your partner sees your name, role and skills. HR sees only "
        "aggregated figures, never your individual feedback, and nothing here is used for "
        "performance appraisal. Type `/mentor leave` at any time to withdraw your consent and "
        "delete your data."
    )


def join_modal(t: Translator, catalog: CatalogDef, draft: ProfileForm, meta: ModalMeta) -> View:
    """The profile modal: role, skills with levels, matching preferences, consent."""
    roles = [
        _opt(
            t._("Mentor"),
            Role.MENTOR,
            t._("I share my digital skills with an experienced colleague"),
        ),
        _opt(
            t._("Mentee"),
            Role.MENTEE,
            t._("I want to learn digital skills from a younger colleague"),
        ),
    ]
    cadences = [_opt(cadence_label(t, c), c) for c in Cadence]
    windows = [_opt(window_label(t, w), w) for w in TimeWindow]
    # An explicit "any" choice: Slack offers no way to clear a select once something is picked.
    weekdays = [_opt(t._("Any weekday"), ANY_WEEKDAY)]
    weekdays += [_opt(weekday_name(d, t.language), str(d)) for d in WEEKDAYS]
    languages = _language_options(t.language)
    consent = _opt(
        t._("I agree that my profile is stored and used as described above."),
        JoinModal.CONSENT_GIVEN,
    )

    blocks: list[Block] = [
        section(
            t._(
                "*Reverse mentoring* turns classic mentoring around: *mentors*, often younger "
                "colleagues, share digital skills such as social media, AI tools or collaboration "
                "apps. *Mentees*, often experienced leaders, learn them in regular one-to-one "
                "jour fixes. Both sides learn from each other."
            )
        ),
        InputBlock(
            block_id=JoinModal.ROLE,
            label=plain(t._("I would like to join as")),
            element=RadioButtonsElement(
                action_id=JoinModal.ROLE,
                options=roles,
                initial_option=next((o for o in roles if o.value == draft.role), None),
            ),
        ),
        *_skill_inputs(t, catalog, SkillKind.OFFERED, draft.offered, required_hint=True),
        *_skill_inputs(t, catalog, SkillKind.WANTED, draft.wanted, required_hint=True),
        DividerBlock(),
        InputBlock(
            block_id=JoinModal.DEPARTMENT,
            label=plain(t._("Department")),
            hint=plain(t._("Partners usually come from different departments.")),
            element=PlainTextInputElement(
                action_id=JoinModal.DEPARTMENT,
                initial_value=draft.department or None,
                max_length=DEPARTMENT_MAX,
                placeholder=plain(t._("e.g. Finance, Sales, IT")),
            ),
        ),
        InputBlock(
            block_id=JoinModal.LANGUAGES,
            label=plain(t._("Languages I can meet in")),
            element=StaticMultiSelectElement(
                action_id=JoinModal.LANGUAGES,
                options=languages,
                initial_options=[o for o in languages if o.value in draft.languages] or None,
                max_selected_items=MAX_LANGUAGES,
            ),
        ),
        _select(
            JoinModal.CADENCE, t._("How often would you like to meet?"), cadences, draft.cadence
        ),
        _select(
            JoinModal.WEEKDAY,
            t._("Preferred weekday"),
            weekdays,
            ANY_WEEKDAY if draft.weekday is None else draft.weekday,
        ),
        _select(JoinModal.TIME_WINDOW, t._("Preferred time of day"), windows, draft.time_window),
        _select(
            JoinModal.CAPACITY,
            t._("As a mentor: how many mentees at once?"),
            [_opt(str(n), str(n)) for n in (1, 2, 3)],
            draft.capacity,
        ),
        InputBlock(
            block_id=JoinModal.AVOID,
            label=plain(t._("People I'd rather not be paired with")),
            hint=plain(t._("Private: only the matching uses this list, and nobody is told.")),
            optional=True,
            element=UserMultiSelectElement(
                action_id=JoinModal.AVOID,
                initial_users=list(draft.avoid) or None,
                max_selected_items=MAX_AVOIDED,
            ),
        ),
        InputBlock(
            block_id=JoinModal.ABOUT,
            label=plain(t._("Anything your partner should know? (optional)")),
            optional=True,
            element=PlainTextInputElement(
                action_id=JoinModal.ABOUT,
                multiline=True,
                max_length=ABOUT_MAX,
                initial_value=draft.about or None,
                placeholder=plain(t._("e.g. I'd love to finally understand LinkedIn")),
            ),
        ),
        DividerBlock(),
        section(privacy_notice(t)),
        InputBlock(
            block_id=JoinModal.CONSENT,
            label=plain(t._("Consent")),
            element=CheckboxesElement(
                action_id=JoinModal.CONSENT,
                options=[consent],
                initial_options=[consent] if draft.consent else None,
            ),
        ),
    ]
    return View(
        type="modal",
        callback_id=JoinModal.CALLBACK,
        title=plain(t._("Edit your profile") if meta.editing else t._("Join reverse mentoring")),
        submit=plain(t._("Save") if meta.editing else t._("Join")),
        close=plain(t._("Cancel")),
        private_metadata=meta.dump(),
        blocks=blocks,
    )


def skills_modal(t: Translator, catalog: CatalogDef, skills: SkillsForm, role: Role) -> View:
    """Edit only the offered and wanted skills, with levels."""
    return View(
        type="modal",
        callback_id=SkillsModal.CALLBACK,
        title=plain(t._("Your skills")),
        submit=plain(t._("Save")),
        close=plain(t._("Cancel")),
        private_metadata=ModalMeta(language=t.language, role=role.value).dump(),
        blocks=[
            context(t._("You take part as: *{role}*", role=role_label(t, role))),
            *_skill_inputs(
                t, catalog, SkillKind.OFFERED, skills.offered, required_hint=role is Role.MENTOR
            ),
            *_skill_inputs(
                t, catalog, SkillKind.WANTED, skills.wanted, required_hint=role is Role.MENTEE
            ),
        ],
    )


def pause_modal(t: Translator, timezone: str | None) -> View:
    """Pick an optional end date for a pause (Slack cannot clear a date once picked)."""
    return View(
        type="modal",
        callback_id=PauseModal.CALLBACK,
        title=plain(t._("Take a break")),
        submit=plain(t._("Pause")),
        close=plain(t._("Cancel")),
        private_metadata=ModalMeta(language=t.language, timezone=timezone).dump(),
        blocks=[
            section(t._("While you pause, you are not matched and get no reminders.")),
            InputBlock(
                block_id=PauseModal.UNTIL,
                label=plain(t._("Pause until (optional)")),
                hint=plain(t._("Leave empty to pause until you resume yourself.")),
                optional=True,
                element=DatePickerElement(
                    action_id=PauseModal.UNTIL, placeholder=plain(t._("Until I resume"))
                ),
            ),
        ],
    )


def problem_text(t: Translator, problem: Problem) -> str:
    """A validation problem as one friendly sentence."""
    p = problem.params
    match problem.kind:
        case ProfileProblem.MISSING:
            return t._("Please choose at least one.")
        case ProfileProblem.MENTOR_NEEDS_OFFER:
            return t._("As a mentor, pick at least one skill you can share.")
        case ProfileProblem.MENTEE_NEEDS_WANT:
            return t._("As a mentee, pick at least one skill you want to learn.")
        case ProfileProblem.TOO_MANY_SKILLS:
            return t._("Please pick at most {max} skills.", max=p["max"])
        case ProfileProblem.UNKNOWN_SKILL:
            return t._(
                "These skills are no longer offered; please choose again: {skills}",
                skills=p["skills"],
            )
        case ProfileProblem.SAME_SKILL_BOTH_WAYS:
            return t._("You can't share and learn the same skill. Remove it from one list.")
        case ProfileProblem.TOO_LONG:
            return t._("Please keep this to {max} characters.", max=p["max"])
        case ProfileProblem.TOO_SHORT:
            return t._("Please enter at least {min} characters.", min=p["min"])
        case ProfileProblem.TOO_MANY_LANGUAGES:
            return t._("Please pick at most {max} languages.", max=p["max"])
        case ProfileProblem.CONSENT_REQUIRED:
            return t._("We can only match you with your consent. Please tick the box.")
        case ProfileProblem.TOO_MANY_PEOPLE:
            return t._("Please pick at most {max} people.", max=p["max"])


def _skills_line(t: Translator, catalog: CatalogDef, levels: dict[str, int]) -> str:
    if not levels:
        return t._("none")
    return ", ".join(
        f"{skill_label(catalog, k, t.language)} ({lvl}/5)" for k, lvl in levels.items()
    )


def status_line(t: Translator, p: Participant) -> str:
    """Active, inactive, or paused (until when)."""
    if p.status is Status.INACTIVE:
        return t._(
            ":warning: Inactive: Slack could not reach you for a match. Type `/mentor resume` "
            "to come back."
        )
    if p.status is Status.PAUSED:
        if p.paused_until is None:
            return t._(":double_vertical_bar: Paused until you resume")
        return t._(":double_vertical_bar: Paused until {date}", date=format_day(t, p.paused_until))
    return t._(":large_green_circle: Active: you are in the matching pool")


def profile_summary(t: Translator, catalog: CatalogDef, p: Participant) -> list[Block]:
    """The person's own profile, for their eyes only."""
    weekday = (
        weekday_name(p.preferred_weekday, t.language)
        if p.preferred_weekday is not None
        else t._("Any weekday")
    )
    languages = Locale.parse(t.language).languages
    fields = [
        md(t._("*Role*\n{role}", role=role_label(t, p.role))),
        md(t._("*Department*\n{department}", department=escape(p.department or "–"))),
        md(
            t._(
                "*Languages*\n{languages}",
                languages=", ".join(languages.get(c, c).capitalize() for c in p.languages) or "–",
            )
        ),
        md(
            t._(
                "*Jour fixe*\n{cadence}, {weekday}, {window}",
                cadence=cadence_label(t, p.cadence),
                weekday=weekday,
                window=window_label(t, p.time_window),
            )
        ),
    ]
    blocks: list[Block] = [
        section(status_line(t, p)),
        SectionBlock(fields=fields),
        section(
            t._(
                "*Skills I share:* {skills}",
                skills=_skills_line(t, catalog, p.skill_levels(SkillKind.OFFERED)),
            )
        ),
        section(
            t._(
                "*Skills I want to learn:* {skills}",
                skills=_skills_line(t, catalog, p.skill_levels(SkillKind.WANTED)),
            )
        ),
    ]
    if p.about:
        blocks.append(section(t._("*About me:* {about}", about=escape(p.about))))
    return blocks
