"""Mutation root: operator commands. Mutations never write rows themselves; they
send commands to the runner, which records and publishes what happens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

import strawberry
from strawberry.types import Info

from arena.api import alerts as alert_api
from arena.api import bots as bot_api
from arena.api.context import Context
from arena.api.inputs import StartCompetitionInput, build_config
from arena.api.permissions import IsOperator
from arena.api.types.common import UserError
from arena.api.types.competitions import Competition, competition_by_id
from arena.app.resume import resume_interrupted
from arena.app.runner import ArenaRunner
from arena.domain.events import CompetitionStatus
from arena.engine.competition import Competition as LiveCompetition
from arena.errors import ArenaError, ErrorCode


@strawberry.type
class CompetitionPayload:
    competition: Competition | None
    user_errors: list[UserError]


async def _payload(
    info: Info[Context, None], competition: LiveCompetition | None, errors: Sequence[ArenaError] = ()
) -> CompetitionPayload:
    found = await competition_by_id(info.context, competition.id) if competition else None
    return CompetitionPayload(competition=found, user_errors=[UserError.of(e) for e in errors])


@strawberry.type
class Mutation:
    @strawberry.mutation(permission_classes=[IsOperator], description="Start a competition (operator).")
    async def start_competition(self, info: Info[Context, None], input: StartCompetitionInput) -> CompetitionPayload:
        state = info.context.state
        try:
            bots = await bot_api.bot_entrants(info, input.bots or [])
            config = build_config(input, state.settings.replay_dirs, bots)
            if config.feed is None and not input.symbols and state.runner.feed_info:
                config = replace(config, symbols=state.runner.feed_info.symbols)
            competition = await state.runner.start(config)
        except ArenaError as error:
            return CompetitionPayload(competition=None, user_errors=[UserError.of(error)])
        return await _payload(info, competition)

    register_bot = strawberry.mutation(
        resolver=bot_api.register_bot,
        permission_classes=[IsOperator],
        description="Register an external bot (operator); its token is shown once.",
    )
    revoke_bot = strawberry.mutation(resolver=bot_api.revoke_bot, permission_classes=[IsOperator])
    create_alert = strawberry.mutation(
        resolver=alert_api.create_alert,
        permission_classes=[IsOperator],
        description="Create an alert rule (operator); its webhook secret is shown once, here.",
    )
    update_alert = strawberry.mutation(
        resolver=alert_api.update_alert, permission_classes=[IsOperator], description="Change an alert rule."
    )
    delete_alert = strawberry.mutation(
        resolver=alert_api.delete_alert,
        permission_classes=[IsOperator],
        description="Delete an alert rule; its pending deliveries are given up, its history stays.",
    )
    place_order = strawberry.mutation(
        resolver=bot_api.place_order,
        description="A bot's market order (bot token). It executes at the start of the next round at that "
        "round's price, so replays stay deterministic; the payload comes back once the fill is stored.",
    )

    @strawberry.mutation(permission_classes=[IsOperator])
    async def pause_competition(self, info: Info[Context, None]) -> CompetitionPayload:
        return await _command(info, ArenaRunner.pause)

    @strawberry.mutation(
        permission_classes=[IsOperator],
        description="Resume the paused competition, or continue one a crash left INTERRUPTED (the latest, or `id`) "
        "from its last recorded round.",
    )
    async def resume_competition(
        self, info: Info[Context, None], id: strawberry.ID | None = None
    ) -> CompetitionPayload:
        state = info.context.state
        live = state.runner.competition
        if id is None and live is not None and live.status is CompetitionStatus.PAUSED:
            return await _command(info, ArenaRunner.resume)
        try:
            competition = await resume_interrupted(state.runner, state.db, str(id) if id else None)
        except ArenaError as error:
            if live is not None and live.status is CompetitionStatus.RUNNING and error.code is ErrorCode.NO_COMPETITION:
                error = ArenaError(ErrorCode.ALREADY_RUNNING, "the competition is already running")
            return await _payload(info, live, [error])
        return await _payload(info, competition)

    @strawberry.mutation(permission_classes=[IsOperator])
    async def stop_competition(self, info: Info[Context, None]) -> CompetitionPayload:
        return await _command(info, ArenaRunner.stop)


async def _command(
    info: Info[Context, None], command: Callable[[ArenaRunner], Awaitable[LiveCompetition]]
) -> CompetitionPayload:
    runner = info.context.state.runner
    try:
        competition = await command(runner)
    except ArenaError as error:
        return await _payload(info, runner.competition, [error])
    return await _payload(info, competition)
