// An unmodified pg-boss client (9 or 10) that sends, fetches, completes and fails jobs through the
// schema it is given (pg-boss's `schema` option: it names that schema in every statement; no
// search_path), until the stop file appears. Every job it was told about goes to its log, one JSON
// object per line: {op: "sent"|"completed"|"failed"|"error", ...}.
//
//   node client.js <9|10> <pg-boss module dir> <schema> <log file> <stop file>
'use strict'
const fs = require('fs')

const [major, moduleDir, schema, logFile, stopFile] = process.argv.slice(2)
const PgBoss = require(moduleDir)
const { performance } = require('perf_hooks')
// `at`: milliseconds on the machine's clock, with fractions, so that the two clients' logs merge in order.
const log = (entry) => fs.appendFileSync(logFile,
  JSON.stringify({ client: `v${major}`, ...entry, at: performance.timeOrigin + performance.now() }) + '\n')
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const v10 = major === '10'

const boss = new PgBoss({
  host: process.env.PGHOST,
  port: Number(process.env.PGPORT),
  user: process.env.PGUSER,
  database: process.env.PGDATABASE,
  schema,
  max: 4,
  // Its maintenance (expiry, archiving, the version table's timestamps) runs early and often, so that
  // it too runs against the versions while they change.
  maintenanceIntervalSeconds: 1,
  monitorStateIntervalSeconds: 1
})
boss.on('error', (error) => log({ op: 'error', where: 'background', message: String(error && error.message) }))

const ownQueue = `queue-v${major}`
const queues = [ownQueue, 'shared']

async function attempt (where, action) {
  try {
    return await action()
  } catch (error) {
    log({ op: 'error', where, message: String(error && error.message) })
    return undefined
  }
}

async function fetchOne (name) {
  const fetched = await boss.fetch(name)
  if (!fetched) return []
  return Array.isArray(fetched) ? fetched : [fetched]
}

async function main () {
  await boss.start()
  log({ op: 'started', schema })
  if (v10) {
    for (const name of queues) await attempt('createQueue', () => boss.createQueue(name))
  }
  let n = 0
  while (!fs.existsSync(stopFile)) {
    n += 1
    for (const name of queues) {
      const data = { n, from: `v${major}`, payload: `job ${n} of v${major} to ${name}` }
      const retryLimit = n % 3
      const id = await attempt('send', () => boss.send(name, data, { retryLimit }))
      if (id) log({ op: 'sent', id, name, data, retryLimit })
      else if (id === null) log({ op: 'error', where: 'send', message: `send to ${name} returned null` })
    }
    for (const name of queues) {
      const jobs = (await attempt('fetch', () => fetchOne(name))) || []
      for (const job of jobs) {
        const fail = (n + job.data.n) % 5 === 0
        const output = { by: `v${major}`, n }
        const done = await attempt(fail ? 'fail' : 'complete', () =>
          v10 ? (fail ? boss.fail(name, job.id, output) : boss.complete(name, job.id, output))
              : (fail ? boss.fail(job.id, output) : boss.complete(job.id, output)))
        if (done !== undefined) log({ op: fail ? 'failed' : 'completed', id: job.id, name })
      }
    }
    await sleep(10)
  }
  await attempt('stop', () => boss.stop({ graceful: false, wait: true, timeout: 2000 }))
  log({ op: 'stopped', sent: n })
}

main().then(() => setTimeout(() => process.exit(0), 200),
  (error) => { log({ op: 'error', where: 'main', message: String(error && error.stack) }); process.exit(1) })
