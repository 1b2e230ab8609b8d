'use strict';
// What happens to the backfill while the clients write: pauses, a terminated worker, new batch
// sizes, and server restarts. Every step is followed by polling (with a deadline) for the state
// it must lead to, never by a sleep that correctness would depend on.
const { spawn } = require('child_process');
const { sleep, describeError } = require('./db');

function pgCtl(args) {
  return new Promise((resolve) => {
    const command = `${process.env.PGSHIFT_PG_CTL} ${args}`;
    const child = spawn('bash', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('close', (code) => resolve({ code, output: output.trim() }));
  });
}

class Chaos {
  constructor(ctx, session, rng, schema) {
    this.ctx = ctx;
    this.db = session;
    this.rng = rng;
    this.schema = schema;
    this.restartAt = null;       // ms timestamp, or a function of ctx giving one (null: not yet known)
    this.restartMode = 'fast';
    this.stats = { pauses: 0, kills: 0, killsResumedAtOnce: 0, resumeFoundOldWorker: 0, configures: 0, restarts: [] };
  }

  async jobsPending() {
    const r = await this.db.query('SELECT pgshift.jobs_pending($1)::int AS n', [this.schema]);
    return r.rows[0].n;
  }

  // After a resume: the worker must run (or the jobs be done) soon. A worker that was terminated
  // may still hold its lock for a moment, so that resume finds it "running" and starts none: then
  // ensure_worker is called again once it is gone.
  async expectWorker(what) {
    const deadline = Date.now() + 15000;
    let nudged = false;
    while (Date.now() < deadline) {
      const r = await this.db.query(
        `SELECT pgshift.jobs_pending($1)::int AS pending, pgshift.worker_running($1) AS running,
                (SELECT count(*) FROM pgshift.jobs WHERE schema = $1 AND state IN ('paused', 'failed'))::int AS stopped,
                (SELECT string_agg(error, '; ') FROM pgshift.jobs WHERE schema = $1 AND state = 'failed') AS errors`,
        [this.schema]);
      const { pending, running, stopped, errors } = r.rows[0];
      if (errors) {
        this.ctx.fail(`after ${what}: a job failed: ${errors}`);
        await this.db.query('SELECT pgshift.backfill_resume($1)', [this.schema]);
      }
      if (pending === 0 || (running && stopped === 0)) return;
      if (!running && !nudged && Date.now() > deadline - 13000) {
        // (at most once: a worker that was still exiting when resume ran)
        this.stats.resumeFoundOldWorker += 1;
        nudged = true;
        await this.db.query('SELECT pgshift.ensure_worker($1)', [this.schema]);
      }
      await sleep(25);
    }
    this.ctx.fail(`after ${what}: no pgshift worker runs the pending jobs after 15 s`);
  }

  async pauseResume() {
    this.stats.pauses += 1;
    await this.db.query('SELECT pgshift.backfill_pause($1)', [this.schema]);
    await sleep(100 + this.rng() * 1100);
    await this.db.query('SELECT pgshift.backfill_resume($1)', [this.schema]);
    await this.expectWorker('backfill_pause + backfill_resume');
  }

  async killWorker() {
    const r = await this.db.query(
      `SELECT pid, pg_terminate_backend(pid) AS killed FROM pg_stat_activity
        WHERE backend_type = 'pgshift worker' AND datname = current_database()`);
    if (r.rows.length === 0) return;
    this.stats.kills += 1;
    const pids = r.rows.map((row) => row.pid);
    if (this.rng() < 0.4) {
      // At once, while the terminated worker may still be on its way out.
      this.stats.killsResumedAtOnce += 1;
    } else {
      const deadline = Date.now() + 10000;
      for (;;) {
        const left = await this.db.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY ($1)', [pids]);
        if (left.rows[0].n === 0) break;
        if (Date.now() > deadline) { this.ctx.fail(`terminated pgshift worker ${pids} still there after 10 s`); break; }
        await sleep(10);
      }
      await sleep(this.rng() * 800);
    }
    const how = this.rng() < 0.5 ? 'backfill_resume' : 'ensure_worker';
    await this.db.query(`SELECT pgshift.${how}($1)`, [this.schema]);
    await this.expectWorker(`pg_terminate_backend of the worker + ${how}`);
  }

  async configure() {
    this.stats.configures += 1;
    const size = 20 + Math.floor(this.rng() * 41);
    await this.db.query('SELECT pgshift.backfill_configure($1, $2, NULL)', [this.schema, size]);
  }

  async restart() {
    const mode = this.restartMode;
    const began = Date.now();
    const pendingBefore = await this.jobsPending().catch(() => null);
    this.ctx.restarts += 1;
    this.ctx.restarting = true;
    const result = await pgCtl(`restart -m ${mode}`);
    if (result.code !== 0) this.ctx.fail(`pg_ctl restart -m ${mode} failed (exit ${result.code}): ${result.output.slice(-300)}`);
    this.db.close();
    try {
      await this.db.query('SELECT 1', [], 90000);
    } finally {
      this.ctx.restarting = false;
    }
    this.ctx.lastRestartDoneAt = Date.now();
    const resumed = await this.db.query('SELECT pgshift.backfill_resume($1) AS started', [this.schema]);
    this.stats.restarts.push({ mode, ms: Date.now() - began, at: began - this.ctx.t0, jobsPendingBefore: pendingBefore,
                               workerStarted: resumed.rows[0].started });
    this.ctx.log(`restart -m ${mode} at ${((began - this.ctx.t0) / 1000).toFixed(3)} s: server back after ${Date.now() - began} ms, ` +
                 `${pendingBefore ? `${pendingBefore} jobs pending, backfill_resume started a worker: ${resumed.rows[0].started}` : 'jobs done'}`);
    await this.expectWorker(`restart -m ${mode} + backfill_resume`);
  }

  async run() {
    while (!this.ctx.stopChaos) {
      await sleep(150 + this.rng() * 900);
      if (this.ctx.stopChaos) break;
      try {
        const at = typeof this.restartAt === 'function' ? this.restartAt(this.ctx) : this.restartAt;
        if (at !== null && Date.now() >= at) {
          this.restartAt = null;
          await this.restart();
          continue;
        }
        if (this.ctx.hurry) continue;
        const r = this.rng();
        if (r < 0.4) await this.pauseResume();
        else if (r < 0.85) await this.killWorker();
        else await this.configure();
      } catch (err) {
        this.ctx.fail(`chaos step failed: ${describeError(err)}`);
        await sleep(200);
      }
    }
    // Leave nothing paused.
    try {
      await this.db.query('SELECT pgshift.backfill_resume($1)', [this.schema]);
    } catch (err) {
      this.ctx.fail(`final backfill_resume failed: ${describeError(err)}`);
    }
  }
}

module.exports = { Chaos, pgCtl };
