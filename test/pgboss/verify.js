// Checks the two clients' logs against the database after the migration: every job either client was
// told about is there (in job or archive) with its name, data and retry limit; a job a client was
// told it completed is completed (completion is final, so no order between the two clients' logs is
// needed); a job only ever failed is failed, waiting for its retry, or taken again; no client error
// but a deadlock between the two versions while both run. Prints one line
// per finding and a summary line: "checked <n> jobs, <k> problems".
//
//   node verify.js <pg module dir> <log file>...
'use strict'
const fs = require('fs')

const [pgDir, ...logs] = process.argv.slice(2)
const { Client } = require(pgDir)

async function main () {
  const entries = logs.flatMap((file) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(JSON.parse))
    .sort((a, b) => a.at - b.at)   // (two processes' clocks: close, not exact)
  const sent = new Map()
  const last = new Map()       // the latest completion or failure logged (for the summary)
  const completedBy = new Map()
  for (const entry of entries) {
    if (entry.op === 'sent') sent.set(entry.id, entry)
    if (entry.op === 'completed' || entry.op === 'failed') last.set(entry.id, entry)
    if (entry.op === 'completed') completedBy.set(entry.id, entry.client)
  }
  const client = new Client({ host: process.env.PGHOST, port: Number(process.env.PGPORT),
                              user: process.env.PGUSER, database: process.env.PGDATABASE })
  await client.connect()
  // pg-boss 10's columns: the migration is complete.
  const { rows } = await client.query(`
    SELECT id::text, name, data, retry_limit, state::text FROM pgboss.job
    UNION ALL
    SELECT id::text, name, data, retry_limit, state::text FROM pgboss.archive`)
  await client.end()
  const stored = new Map(rows.map((row) => [row.id, row]))
  let problems = 0
  const problem = (text) => { problems += 1; console.log(`problem: ${text}`) }
  for (const [id, job] of sent) {
    const row = stored.get(id)
    if (!row) { problem(`job ${id} sent by ${job.client} to ${job.name} is gone`); continue }
    if (row.name !== job.name) problem(`job ${id}: name ${row.name}, sent as ${job.name}`)
    if (JSON.stringify(row.data) !== JSON.stringify(job.data)) problem(`job ${id}: data ${JSON.stringify(row.data)}, sent as ${JSON.stringify(job.data)}`)
    if (row.retry_limit !== job.retryLimit) problem(`job ${id}: retry limit ${row.retry_limit}, sent as ${job.retryLimit}`)
  }
  for (const [id, event] of last) {
    const row = stored.get(id)
    if (!row) { problem(`job ${id}, ${event.op} by ${event.client}, is gone`); continue }
    if (completedBy.has(id)) {
      if (row.state !== 'completed') problem(`job ${id} was completed by ${completedBy.get(id)} but is ${row.state}`)
    } else if (!['failed', 'retry', 'active'].includes(row.state)) {
      problem(`job ${id} was failed by ${event.client} (and never completed by either client) but is ${row.state}`)
    }
  }
  // While both versions write, a job taken by both clients at once locks the two tables in opposite
  // orders (docs/format-extensions.md, rebuild_table): PostgreSQL cancels one of the two as a deadlock,
  // and pg-boss takes the job again on a later fetch, so no job is lost (checked above). Only that
  // error, only in the statements that take or finish jobs, and only while both clients run, is
  // expected; every other error is a problem.
  const at = (client, op) => (entries.find((e) => e.client === client && e.op === op) || {}).at
  const bothFrom = at('v10', 'started')
  const bothUntil = at('v9', 'stopped')
  const crossVersionDeadlock = (entry) => entry.message === 'deadlock detected' &&
    ['fetch', 'complete', 'fail'].includes(entry.where) &&
    bothFrom !== undefined && bothUntil !== undefined && entry.at >= bothFrom && entry.at <= bothUntil
  const errors = entries.filter((entry) => entry.op === 'error')
  for (const error of errors.filter((entry) => !crossVersionDeadlock(entry))) {
    problem(`${error.client} error in ${error.where}: ${error.message}`)
  }
  console.log(`deadlocks between the two versions' clients, cancelled by PostgreSQL: ${errors.filter(crossVersionDeadlock).length}`)
  const count = (client, op) => entries.filter((e) => e.client === client && e.op === op).length
  for (const client of ['v9', 'v10']) {
    console.log(`${client}: sent ${count(client, 'sent')}, completed ${count(client, 'completed')}, failed ${count(client, 'failed')}, errors ${count(client, 'error')}`)
  }
  const crossed = [...last.values()].filter((event) => sent.get(event.id) && sent.get(event.id).client !== event.client).length
  console.log(`jobs finished by the other version's client: ${crossed}`)
  console.log(`checked ${sent.size} jobs, ${problems} problems`)
  process.exit(problems === 0 ? 0 : 1)
}

main().catch((error) => { console.log(`problem: ${error.stack}`); process.exit(1) })
