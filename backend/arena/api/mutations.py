"""Mutation root: operator commands. Mutations never write rows themselves; they
send commands to the runner, which records and publishes what happens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import strawberry
from strawberry.types import Info

from arena.api import alerts as alert_api
from arena.api import bots as bot_api
from arena.api.context import Context
from arena.api.inputs import StartCompetitionInput, build_config
from arena.api.permissions import IsOperator
from arena.api.types.common import UserError
from arena.api.types.competitions import Competition, competition_by_id
from arena.app import commands
from arena.engine.competition import Competition as LiveCompetition
from arena.errors import ArenaError


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
        except ArenaError as error:
            return CompetitionPayload(competition=None, user_errors=[UserError.of(error)])
        market_symbols = not input.symbols
        return await _engine(
            info,
            "start",
            {"config": config.to_dict(), "market_symbols": market_symbols},
            lambda: commands.start(state, config, market_symbols=market_symbols),
            show_current=False,
        )

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
        return await _engine(info, "pause", {}, lambda: commands.pause(info.context.state))

    @strawberry.mutation(
        permission_classes=[IsOperator],
        description="Resume the paused competition, or continue one a crash left INTERRUPTED (the latest, or `id`) "
        "from its last recorded round.",
    )
    async def resume_competition(
        self, info: Info[Context, None], id: strawberry.ID | None = None
    ) -> CompetitionPayload:
        competition_id = str(id) if id else None
        return await _engine(
            info, "resume", {"id": competition_id}, lambda: commands.resume(info.context.state, competition_id)
        )

    @strawberry.mutation(permission_classes=[IsOperator])
    async def stop_competition(self, info: Info[Context, None]) -> CompetitionPayload:
        return await _engine(info, "stop", {}, lambda: commands.stop(info.context.state))


async def _engine(
    info: Info[Context, None],
    op: str,
    args: dict[str, Any],
    local: Callable[[], Awaitable[LiveCompetition]],
    *,
    show_current: bool = True,
) -> CompetitionPayload:
    """Run a command here, or on the engine when this is an API replica. A refusal comes with the
    competition as it is (`show_current`), as the command found it."""
    state = info.context.state
    if state.engine_client is not None:
        try:
            reply = await state.engine_client.call(op, args)
        except ArenaError as error:
            return CompetitionPayload(competition=None, user_errors=[UserError.of(error)])
        errors = [UserError(field=e["field"], message=e["message"], code=e["code"]) for e in reply["errors"]]
        competition_id = reply["competition_id"] if show_current or not errors else None
        found = await competition_by_id(info.context, competition_id) if competition_id else None
        return CompetitionPayload(competition=found, user_errors=errors)
    try:
        competition = await local()
    except ArenaError as error:
        current = state.runner.competition if show_current else None
        return await _payload(info, current, [error])
    return await _payload(info, competition)
