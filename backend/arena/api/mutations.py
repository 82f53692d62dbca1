"""Mutation root: operator commands. Mutations never write rows themselves; they
send commands to the runner, which records and publishes what happens."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from pathlib import Path

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from arena.api import bots as bot_api
from arena.api import readers
from arena.api.context import Context
from arena.api.permissions import IsOperator
from arena.api.types import Competition, UserError
from arena.engine.config import (
    DEFAULT_SYMBOLS,
    AgentSpec,
    CompetitionConfig,
    FeedMode,
    FeedSpec,
    SpeedSpec,
    default_agents,
)
from arena.errors import ArenaError, ErrorCode
from arena.resume import resume_interrupted


@strawberry.enum
class FeedChoice(Enum):
    SHARED = "SHARED"  # trade the arena's market feed
    SIMULATED = "SIMULATED"  # a fresh seeded simulation owned by the competition
    REPLAY = "REPLAY"  # replay recorded files


@strawberry.input
class AgentInput:
    name: str
    strategy: str
    params: JSON | None = None


@strawberry.input
class StartCompetitionInput:
    name: str = "Arena"
    symbols: list[str] | None = None
    feed: FeedChoice = FeedChoice.SHARED
    seed: int = 42
    replay_files: list[str] | None = strawberry.field(default=None, description="File names in a replay folder.")
    rounds: int | None = None
    duration_seconds: float | None = None
    speed: str = strawberry.field(default="1s", description="'max', a replay factor '10x', or seconds per round '0.5s'.")
    starting_cash: Decimal = Decimal(10_000)
    agents: list[AgentInput] | None = strawberry.field(default=None, description="Default: all built-in strategies.")
    fee_bps: Decimal = Decimal(10)
    slippage_bps: Decimal = Decimal(5)
    bots: list[strawberry.ID] | None = strawberry.field(default=None, description="Registered bots taking part.")


@strawberry.type
class CompetitionPayload:
    competition: Competition | None
    user_errors: list[UserError]


def _user_error(error: ArenaError) -> UserError:
    return UserError(field=error.field, message=error.message, code=error.code.value)


def resolve_replay_file(name: str, folders: tuple[str, ...]) -> str:
    """Only files inside the configured replay folders can be replayed."""
    for folder in folders:
        try:
            root = Path(folder).resolve()
            candidate = (root / name).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                return str(candidate)
        except (ValueError, OSError):  # NUL bytes, names too long: not a file we have
            continue
    raise ArenaError(ErrorCode.INVALID_CONFIG, f"no replay file {name!r} in the replay folders", "replayFiles")


def build_config(
    data: StartCompetitionInput, replay_folders: tuple[str, ...], bots: list[tuple[str, str]] = ()
) -> CompetitionConfig:
    feed: FeedSpec | None = None
    if data.feed is FeedChoice.SIMULATED:
        feed = FeedSpec(FeedMode.SIM, seed=data.seed, symbols=tuple(data.symbols or DEFAULT_SYMBOLS))
    elif data.feed is FeedChoice.REPLAY:
        if not data.replay_files:
            raise ArenaError(ErrorCode.INVALID_CONFIG, "a replay needs at least one file", "replayFiles")
        feed = FeedSpec(FeedMode.REPLAY, seed=data.seed,
                        paths=tuple(resolve_replay_file(f, replay_folders) for f in data.replay_files),
                        symbols=tuple(data.symbols or ()))
    for agent in data.agents or ():
        if agent.params is not None and not isinstance(agent.params, dict):
            raise ArenaError(ErrorCode.INVALID_CONFIG, "params must be an object", "agents")
    agents = (
        tuple(AgentSpec(a.name, a.strategy, dict(a.params or {})) for a in data.agents)
        if data.agents is not None else default_agents()
    ) + tuple(AgentSpec(name, "external", {"bot_id": bot_id}, kind="BOT") for name, bot_id in bots)
    return CompetitionConfig(
        name=data.name, symbols=tuple(data.symbols or DEFAULT_SYMBOLS), feed=feed, rounds=data.rounds,
        duration_s=data.duration_seconds, speed=SpeedSpec.parse(data.speed), starting_cash=data.starting_cash,
        agents=agents, fee_bps=data.fee_bps, slippage_bps=data.slippage_bps, seed=data.seed,
    )


async def _payload(info: Info[Context, None], competition_id: str) -> CompetitionPayload:
    return CompetitionPayload(competition=await readers.competition_by_id(info.context, competition_id), user_errors=[])


@strawberry.type
class Mutation:
    @strawberry.mutation(permission_classes=[IsOperator], description="Start a competition (operator).")
    async def start_competition(self, info: Info[Context, None], input: StartCompetitionInput) -> CompetitionPayload:
        state = info.context.state
        try:
            bots = await bot_api.bot_specs(info, input.bots or [])
            config = build_config(input, state.settings.replay_dirs, bots)
            if config.feed is None and not input.symbols and state.runner.feed_info:
                config = _with_symbols(config, state.runner.feed_info.symbols)
            competition = await state.runner.start(config)
        except ArenaError as error:
            return CompetitionPayload(competition=None, user_errors=[_user_error(error)])
        return await _payload(info, competition.id)

    register_bot = strawberry.mutation(resolver=bot_api.register_bot, permission_classes=[IsOperator],
                                       description="Register an external bot (operator); its token is shown once.")
    revoke_bot = strawberry.mutation(resolver=bot_api.revoke_bot, permission_classes=[IsOperator])
    place_order = strawberry.mutation(
        resolver=bot_api.place_order,
        description="A bot's market order (bot token). It executes at the start of the next round at that "
        "round's price, so replays stay deterministic; the payload comes back once the fill is stored.",
    )

    @strawberry.mutation(permission_classes=[IsOperator])
    async def pause_competition(self, info: Info[Context, None]) -> CompetitionPayload:
        return await _command(info, "pause")

    @strawberry.mutation(
        permission_classes=[IsOperator],
        description="Resume the paused competition, or continue one a crash left INTERRUPTED (the latest, or `id`) "
        "from its last recorded round.",
    )
    async def resume_competition(self, info: Info[Context, None], id: strawberry.ID | None = None) -> CompetitionPayload:
        state = info.context.state
        live = state.runner.competition
        if id is None and live is not None and live.status.value == "PAUSED":
            return await _command(info, "resume")
        try:
            competition = await resume_interrupted(state.runner, state.db, str(id) if id else None)
        except ArenaError as error:
            if live is not None and live.status.value == "RUNNING" and error.code is ErrorCode.NO_COMPETITION:
                error = ArenaError(ErrorCode.ALREADY_RUNNING, "the competition is already running")
            existing = await readers.competition_by_id(info.context, live.id) if live else None
            return CompetitionPayload(competition=existing, user_errors=[_user_error(error)])
        return await _payload(info, competition.id)

    @strawberry.mutation(permission_classes=[IsOperator])
    async def stop_competition(self, info: Info[Context, None]) -> CompetitionPayload:
        return await _command(info, "stop")


async def _command(info: Info[Context, None], name: str) -> CompetitionPayload:
    runner = info.context.state.runner
    try:
        competition = await getattr(runner, name)()
    except ArenaError as error:
        live = runner.competition
        existing = await readers.competition_by_id(info.context, live.id) if live else None
        return CompetitionPayload(competition=existing, user_errors=[_user_error(error)])
    return await _payload(info, competition.id)


def _with_symbols(config: CompetitionConfig, symbols: tuple[str, ...]) -> CompetitionConfig:
    from dataclasses import replace

    return replace(config, symbols=symbols)
