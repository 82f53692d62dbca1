// The GraphQL documents the dashboard sends. Fragments keep the shapes in one place.

const AGENT_FIELDS = `
  id name strategy kind status competitionId equity cash realizedPnl unrealizedPnl
  returnPct tradeCount winRate scars maxDrawdown sharpe profitFactor rank`;

const LEADERBOARD_FIELDS = `rank equity returnPct agent { ${AGENT_FIELDS} }`;

const TRADE_FIELDS = `
  id agentId agentName competitionId symbol side quantity price notional fee realizedPnl round executedAt`;

const COMPETITION_FIELDS = `
  id name status feedKind feedDescription startingCash createdAt startedAt endedAt round
  winner { id name }`;

const DECISION_FIELDS = `
  id competitionId agentId agentName seq round at askedRound latencyMs model status reasoning error
  promptTokens completionTokens attempts prompt response
  actions { symbol action fraction confidence reasoning }
  orders { symbol side filled filledQuantity price rejectionCode rejectionReason }`;

const FEED_FIELDS = `id kind description sources note status lastQuoteAgeSeconds error`;

export const ARENA = `
query Arena {
  arena {
    state round symbols startedAt
    feed { ${FEED_FIELDS} seed symbols }
    competition { ${COMPETITION_FIELDS} }
    strategies { name description defaultParams }
  }
}`;

/** Only the feed: its status is not pushed over subscriptions, so the header polls this. */
export const FEED = `query Feed { arena { feed { ${FEED_FIELDS} } } }`;

export const PRICES = `query Prices { prices { symbol price changePct timestamp } }`;

export const LEADERBOARD = `
query Leaderboard($competitionId: ID) { leaderboard(competitionId: $competitionId) { ${LEADERBOARD_FIELDS} } }`;

export const TRADES = `
query Trades($competitionId: ID, $agentId: ID, $side: Side, $first: Int, $after: String) {
  trades(competitionId: $competitionId, agentId: $agentId, side: $side, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { ${TRADE_FIELDS} } }
  }
}`;

/** One model agent's latest decisions (newest first), with their prompts and answers. */
export const DECISIONS = `
query Decisions($competitionId: ID, $agentId: ID, $first: Int) {
  decisions(competitionId: $competitionId, agentId: $agentId, first: $first) {
    totalCount
    edges { node { ${DECISION_FIELDS} } }
  }
}`;

export const COMPETITIONS = `
query Competitions($first: Int, $after: String) {
  competitions(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { ${COMPETITION_FIELDS} } }
  }
}`;

export const COMPETITION = `
query Competition($id: ID!) {
  competition(id: $id) { ${COMPETITION_FIELDS} leaderboard { ${LEADERBOARD_FIELDS} } }
}`;

/** Every agent's equity curve in one query (aliases per agent would hit the server's limit of 30). */
export const EQUITY_HISTORIES = `
query EquityHistories($competitionId: ID, $limit: Int!) {
  agents(competitionId: $competitionId) { id name equityHistory(limit: $limit) { round equity returnPct } }
}`;

const POSITION_FIELDS = `symbol quantity averagePrice costBasis marketPrice marketValue unrealizedPnl`;

/** One agent for the agent view: its standing and open positions, and with `history` its equity curve. */
export const AGENT = `
query Agent($id: ID!, $history: Boolean!, $limit: Int!) {
  agent(id: $id) {
    ${AGENT_FIELDS}
    positions { ${POSITION_FIELDS} }
    competition @include(if: $history) { id name startingCash }
    equityHistory(limit: $limit) @include(if: $history) { round equity returnPct }
  }
}`;

export function priceHistories(count) {
  const vars = Array.from({ length: count }, (_, i) => `$s${i}: String!`).join(", ");
  const fields = Array.from({ length: count }, (_, i) =>
    `s${i}: priceHistory(symbol: $s${i}, since: $since, until: $until, interval: 60) { start open high low close }`).join("\n  ");
  return `query PriceHistories(${vars}, $since: DateTime, $until: DateTime) {\n  ${fields}\n}`;
}

export const START = `
mutation Start($input: StartCompetitionInput!) {
  startCompetition(input: $input) {
    competition { id name status }
    userErrors { field message code }
  }
}`;

const command = (name) => `
mutation { ${name} { competition { id status } userErrors { field message code } } }`;

export const PAUSE = command("pauseCompetition");
export const RESUME = command("resumeCompetition");
export const STOP = command("stopCompetition");

export const SUB_PRICES = `subscription Prices { prices { symbol price changePct timestamp } }`;

export const SUB_TRADES = `subscription Trades { trades { ${TRADE_FIELDS} } }`;

export const SUB_DECISIONS = `subscription Decisions { decisions { ${DECISION_FIELDS} } }`;

export const SUB_LEADERBOARD = `subscription Leaderboard { leaderboard { ${LEADERBOARD_FIELDS} } }`;

export const SUB_EVENTS = `
subscription Events {
  arenaEvents { kind competitionId round at status previousStatus message agentId code winnerId }
}`;

// --- alerts (operator only) ---

const ALERT_FIELDS = `
  id kind symbol agentId threshold percent windowSeconds minNotional
  webhookTarget webhookFormat appriseTargets cooldownSeconds createdAt`;

const DELIVERY_FIELDS = `id channel target status attempts lastStatusCode lastError createdAt nextAttemptAt deliveredAt firedAt`;

export const ALERTS = `query Alerts { alerts { ${ALERT_FIELDS} } }`;

export const FIRED_ALERTS = `
query FiredAlerts($first: Int) {
  firedAlerts(first: $first) { edges { node { id alertId kind message at payload } } }
}`;

export const ALERT_DELIVERIES = `
query AlertDeliveries($alertId: ID!, $first: Int) {
  alertDeliveries(alertId: $alertId, first: $first) { edges { node { ${DELIVERY_FIELDS} } } }
}`;

export const CREATE_ALERT = `
mutation CreateAlert($input: CreateAlertInput!) {
  createAlert(input: $input) { alert { ${ALERT_FIELDS} } secret userErrors { field message code } }
}`;

export const DELETE_ALERT = `
mutation DeleteAlert($id: ID!) { deleteAlert(id: $id) { userErrors { field message code } } }`;

export const SUB_ALERTS = `subscription Alerts { alerts { id alert { id kind } message at payload } }`;
