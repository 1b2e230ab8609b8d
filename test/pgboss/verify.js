// Checks the two clients' logs against the database after the migration: every job either client was
// told about is there (in job or archive) with its name, data and retry limit; a job a client was
// told it completed is completed (completion is final, so no order between the two clients' logs is
// needed); a job only ever failed is failed, waiting for its retry, or taken again. Prints one line
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
  const errors = entries.filter((entry) => entry.op === 'error')
  for (const error of errors) problem(`${error.client} error in ${error.where}: ${error.message}`)
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
