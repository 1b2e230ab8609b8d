'use strict';
// The application clients: each writes random rows of its own (id % clients == its index) through
// one way of reaching the table, and logs every statement for the model (lib/model.js).
const { pg, sleep, isConnectionError, describeError, connectionConfig } = require('./db');

// How each client reaches the table. version: the terms its amounts are in ('auto': whichever
// `accounts` resolves to, told by RETURNING pg_typeof). protocols: simple (values inlined as
// literals), unnamed (extended protocol, parse per call), named (prepared once per connection).
function roles(v1, v2) {
  return [
    { name: `${v1}.accounts, simple protocol`, path: 'v1 qualified', version: 'old', table: `${v1}.accounts`,
      setup: [], protocols: ['simple'], txProb: 0.25 },
    { name: `search_path ${v1}, named statements`, path: 'v1 search_path', version: 'old', table: 'accounts',
      setup: [`SET search_path TO ${v1}`], protocols: ['named'], txProb: 0.15 },
    { name: 'public.accounts (the table), default search_path', path: 'table, old', version: 'old',
      table: 'public.accounts', setup: [], protocols: ['unnamed', 'simple'], txProb: 0.3 },
    { name: `${v2}.accounts once open, named statements`, path: 'v2 qualified', version: 'new', table: `${v2}.accounts`,
      setup: [], protocols: ['named', 'unnamed'], txProb: 0.25, waitsForNew: true },
    { name: `search_path ${v2} once open, simple protocol`, path: 'v2 search_path', version: 'new', table: 'accounts',
      setup: [`SET search_path TO ${v2}`], protocols: ['simple'], txProb: 0.2, waitsForNew: true },
    { name: `search_path ${v2}, public from the start: the table, then the view`, path: 'v2-first search_path',
      version: 'auto', table: 'accounts', setup: [`SET search_path TO ${v2}, public`], protocols: ['simple', 'unnamed'],
      txProb: 0.2 },
    { name: `${v1}.accounts under search_path ${v2}, ${v1}, public`, path: 'v1 qualified, v2 first in search_path',
      version: 'old', table: `${v1}.accounts`, setup: [`SET search_path TO ${v2}, ${v1}, public`],
      protocols: ['named', 'simple'], txProb: 0.15 },
  ];
}

const NOTES = [(n) => `note ${n}`, (n) => `O'Brien ${n}`, (n) => `ü ✓ ${n}`, (n) => `back\\slash ${n}`];

class Client {
  constructor(ctx, index, role, rng) {
    this.ctx = ctx;
    this.index = index;
    this.role = role;
    this.rng = rng;
    this.log = [];
    this.seq = 0;
    this.txCount = 0;
    this.counter = 0;
    this.belief = new Map();    // id -> 'present' | 'absent' | 'unknown'
    this.ids = [];              // every id of this client ever used
    this.fresh = [];            // ids it may insert, never used yet
    this.conn = null;
    this.epoch = 0;             // ctx.restarts when this connection was made
    this.failureKinds = new Map();
    this.suppressed = new Map();
    this.stats = { committed: 0, uncertain: 0, aborted: 0, reconnects: 0, errors: {}, byVersion: { old: 0, new: 0, either: 0 } };
  }

  own(id, present) {
    this.belief.set(id, present ? 'present' : 'absent');
    this.ids.push(id);
  }

  addFresh(ids) {
    this.fresh.push(...ids);
  }

  pick(array) {
    return array[Math.floor(this.rng() * array.length)];
  }

  // ------------------------------------------------------------------ connection

  async connect() {
    const deadline = Date.now() + 90000;
    for (;;) {
      if (this.conn) { this.conn.end().catch(() => {}); this.conn = null; }
      const conn = new pg.Client(connectionConfig(this.ctx.database, { application_name: `pgshift stress client ${this.index}` }));
      conn.on('error', () => {});
      try {
        const epoch = this.ctx.restarts;
        await conn.connect();
        for (const statement of this.role.setup) await conn.query(statement);
        this.conn = conn;
        this.epoch = epoch;
        return;
      } catch (err) {
        conn.end().catch(() => {});
        if (!isConnectionError(err) || Date.now() > deadline) {
          throw new Error(`client ${this.index} (${this.role.path}) cannot connect: ${describeError(err)}`);
        }
        await sleep(100);
      }
    }
  }

  // The connection is gone: a server restart explains it, anything else is a failure.
  async lost(err, during) {
    this.stats.reconnects += 1;
    if (this.ctx.restarts === this.epoch && !this.ctx.restarting) {
      this.ctx.fail(`client ${this.index} (${this.role.path}) lost its connection with no server restart, during ${during}: ${describeError(err)}`);
    }
    await this.connect();
  }

  // ------------------------------------------------------------------ values

  nextAmount() {
    this.counter += 1;
    const r = this.rng();
    let n;
    if (r < 0.05) n = BigInt(Math.floor(this.rng() * 100));
    else n = BigInt(this.index + 1) * 1000000000000n + BigInt(this.counter) * 1000n + BigInt(Math.floor(this.rng() * 1000));
    if (this.rng() < 0.1) n = -n;
    const num = n.toString();
    let text = num;
    if (this.role.version === 'old' && this.rng() < 0.08) {
      // Old-version text the cast reads as the same number.
      const form = Math.floor(this.rng() * 3);
      if (form === 0) text = n < 0n ? `-000${(-n).toString()}` : `000${num}`;
      else if (form === 1) text = n < 0n ? num : `+${num}`;
      else text = ` ${num} `;
    }
    return { text, num };
  }

  nextNote() {
    if (this.rng() < 0.15) return null;
    return this.pick(NOTES)(`c${this.index}-${this.counter}`);
  }

  // ------------------------------------------------------------------ statements

  // An amount parameter in this client's terms: old: text; new: a number; auto: untyped.
  amountParam(amount) {
    if (this.role.version === 'old') return { value: amount.text, kind: 'text' };
    if (this.role.version === 'new') return { value: amount.num, kind: 'number' };
    return { value: amount.num, kind: 'untyped' };
  }

  returning() {
    return this.role.version === 'auto'
      ? 'RETURNING amount::text AS amount, note, pg_typeof(amount)::text AS t'
      : 'RETURNING amount::text AS amount, note';
  }

  // text with $n placeholders and typed parameters -> what node-postgres runs with the protocol.
  render(name, text, params, protocol) {
    if (protocol === 'simple') {
      let sql = text;
      for (let i = params.length; i >= 1; i -= 1) {
        const p = params[i - 1];
        let literal;
        if (p.value === null) literal = 'NULL';
        else if (p.kind === 'number') literal = p.value.startsWith('-') ? `(${p.value})` : p.value;
        else literal = this.conn.escapeLiteral(String(p.value));
        sql = sql.split(`$${i}`).join(literal);
      }
      return sql;
    }
    const values = params.map((p) => (p.value === null ? null : p.kind === 'number' ? Number(p.value) : String(p.value)));
    if (params.some((p) => p.kind === 'number' && !Number.isSafeInteger(Number(p.value)))) {
      throw new Error(`unsafe integer parameter in ${text}`);
    }
    if (protocol === 'named') return { name: `c${this.index}-${name}`, text, values };
    return { text, values };
  }

  statement(op, protocol) {
    const t = this.role.table;
    const ret = this.returning();
    const id = { value: String(op.id), kind: 'number' };
    switch (op.kind) {
      case 'insert':
      case 'dup':
        return this.render('insert', `INSERT INTO ${t} (id, amount, note) VALUES ($1, $2, $3) ${ret}`,
                           [id, this.amountParam(op.amount), { value: op.note, kind: 'text' }], protocol);
      case 'upsert':
        return this.render(op.keepNote ? 'upsert-amount' : 'upsert',
                           `INSERT INTO ${t} (id, amount, note) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET amount = EXCLUDED.amount${op.keepNote ? '' : ', note = EXCLUDED.note'} ${ret}`,
                           [id, this.amountParam(op.amount), { value: op.note, kind: 'text' }], protocol);
      case 'update':
        if (op.setAmount && op.setNote) {
          return this.render('update-both', `UPDATE ${t} SET amount = $2, note = $3 WHERE id = $1 ${ret}`,
                             [id, this.amountParam(op.setAmount), { value: op.setNote.note, kind: 'text' }], protocol);
        }
        if (op.setAmount) {
          return this.render('update-amount', `UPDATE ${t} SET amount = $2 WHERE id = $1 ${ret}`,
                             [id, this.amountParam(op.setAmount)], protocol);
        }
        return this.render('update-note', `UPDATE ${t} SET note = $2 WHERE id = $1 ${ret}`,
                           [id, { value: op.setNote.note, kind: 'text' }], protocol);
      case 'incr':
        return this.render('incr', this.role.version === 'old'
          ? `UPDATE ${t} SET amount = CAST(CAST(amount AS bigint) + $2 AS text) WHERE id = $1 ${ret}`
          : `UPDATE ${t} SET amount = amount + $2 WHERE id = $1 ${ret}`,
                           [id, { value: String(op.delta), kind: 'number' }], protocol);
      case 'delete':
        return this.render('delete', `DELETE FROM ${t} WHERE id = $1 ${ret}`, [id], protocol);
      case 'read':
        return this.render('read', this.role.version === 'auto'
          ? `SELECT amount::text AS amount, note, pg_typeof(amount)::text AS t FROM ${t} WHERE id = $1`
          : `SELECT amount::text AS amount, note FROM ${t} WHERE id = $1`, [id], protocol);
      default:
        throw new Error(`unknown op ${op.kind}`);
    }
  }

  // ------------------------------------------------------------------ choosing work

  takeFresh() {
    if (this.fresh.length === 0) {
      // Past the filled range (the backfill's keyset walk reaches new keys there too).
      const id = this.ctx.nextFreshBase + this.index + this.ctx.clientCount * Math.floor(this.rng() * 100000);
      if (this.belief.has(id)) return null;
      this.ids.push(id);
      this.belief.set(id, 'absent');
      return id;
    }
    const i = Math.floor(this.rng() * this.fresh.length);
    const id = this.fresh[i];
    this.fresh[i] = this.fresh[this.fresh.length - 1];
    this.fresh.pop();
    this.ids.push(id);
    this.belief.set(id, 'absent');
    return id;
  }

  pickId(wanted) {
    for (let tries = 0; tries < 8; tries += 1) {
      const id = this.pick(this.ids);
      if (!wanted || this.belief.get(id) === wanted) return id;
    }
    return null;
  }

  // One random operation; inTx: no statement whose expected failure would abort the transaction.
  chooseOp(inTx) {
    // Inserts about as often as deletes, so that the table (and the backfill's key range) grows
    // little: new ids from the gaps of the filled range first, then rows deleted before.
    const r = this.rng();
    if (r < 0.08 || this.ids.length === 0) {
      const id = this.fresh.length || this.ids.length === 0 ? this.takeFresh() : this.pickId('absent');
      if (id !== null) return { kind: 'insert', id, amount: this.nextAmount(), note: this.nextNote() };
    }
    if (r < 0.12) {
      const id = this.pickId('absent');
      if (id !== null) return { kind: 'insert', id, amount: this.nextAmount(), note: this.nextNote() };
    }
    const id = this.pick(this.ids);
    const belief = this.belief.get(id);
    const s = this.rng();
    if (belief === 'unknown') {
      if (s < 0.5) return { kind: 'upsert', id, amount: this.nextAmount(), note: this.nextNote(), keepNote: this.rng() < 0.3 };
      if (s < 0.8) return { kind: 'read', id };
      return { kind: 'delete', id };
    }
    if (belief === 'absent') {
      if (s < 0.4) return { kind: 'insert', id, amount: this.nextAmount(), note: this.nextNote() };
      if (s < 0.7) return { kind: 'upsert', id, amount: this.nextAmount(), note: this.nextNote(), keepNote: this.rng() < 0.3 };
      if (s < 0.85) return { kind: 'update', id, setAmount: this.nextAmount() };
      return { kind: 'read', id };
    }
    if (s < 0.36) {
      const which = this.rng();
      if (which < 0.5) return { kind: 'update', id, setAmount: this.nextAmount() };
      if (which < 0.7) return { kind: 'update', id, setNote: { note: this.nextNote() } };
      return { kind: 'update', id, setAmount: this.nextAmount(), setNote: { note: this.nextNote() } };
    }
    if (s < 0.46 && this.role.version !== 'auto') {
      return { kind: 'incr', id, delta: Math.floor(this.rng() * 2001) - 1000 };
    }
    if (s < 0.56) return { kind: 'delete', id };
    if (s < 0.71) return { kind: 'upsert', id, amount: this.nextAmount(), note: this.nextNote(), keepNote: this.rng() < 0.3 };
    if (s < 0.97 || inTx) return { kind: 'read', id };
    return { kind: 'dup', id, amount: this.nextAmount(), note: this.nextNote() };
  }

  // ------------------------------------------------------------------ running

  entry(op, tx) {
    this.seq += 1;
    const t = Date.now();
    const e = { client: this.index, seq: this.seq, tx, path: this.role.path, version: this.role.version === 'auto' ? 'either' : this.role.version,
                kind: op.kind, id: op.id, status: null, t, at: t - this.ctx.t0 };
    if (op.amount) { e.text = op.amount.text; e.num = op.amount.num; }
    if (op.note !== undefined) e.note = op.note;
    if (op.keepNote !== undefined) e.keepNote = op.keepNote;
    if (op.setAmount) e.setAmount = op.setAmount;
    if (op.setNote) e.setNote = op.setNote;
    if (op.delta !== undefined) e.delta = op.delta;
    return e;
  }

  // The result of a statement into its log entry (and this client's beliefs).
  record(e, result) {
    const row = result.rows[0];
    if (this.role.version === 'auto' && row) {
      e.version = row.t === 'text' ? 'old' : 'new';
      e.path = row.t === 'text' ? 'v2-first search_path: the table (v2 not open)' : 'v2-first search_path: the v2 view';
    }
    if (e.kind === 'read') {
      e.ret = row ? { amount: row.amount, note: row.note } : null;
    } else if (e.kind === 'dup') {
      // The insert went through after all: log it as what it was.
      e.kind = 'insert';
      e.ret = row ? { amount: row.amount, note: row.note } : undefined;
    } else {
      e.rc = result.rowCount;
      if (row) e.ret = { amount: row.amount, note: row.note };
    }
  }

  believe(e) {
    if (e.status === 'aborted') return;   // nothing learnt, nothing changed
    if (e.status === 'uncertain') { this.belief.set(e.id, 'unknown'); return; }
    switch (e.kind) {
      case 'insert': case 'upsert': this.belief.set(e.id, 'present'); break;
      case 'update': case 'incr': this.belief.set(e.id, e.rc === 1 ? 'present' : 'absent'); break;
      case 'delete': this.belief.set(e.id, 'absent'); break;
      case 'read': this.belief.set(e.id, e.ret ? 'present' : 'absent'); break;
      case 'dup': this.belief.set(e.id, 'present'); break;
      default: break;
    }
  }

  count(e) {
    this.stats[e.status] += 1;
    if (e.status === 'committed' && e.kind !== 'read' && e.kind !== 'dup') {
      this.stats.byVersion[e.version] += 1;
      if (this.ctx.openedAt && e.t >= this.ctx.openedAt) this.ctx.writesAfterOpen[e.version] += 1;
      if (this.ctx.lastRestartDoneAt && e.t >= this.ctx.lastRestartDoneAt) this.ctx.writesAfterRestart += 1;
    }
  }

  unexpected(err, e, where) {
    const code = err.code || 'client';
    this.stats.errors[code] = (this.stats.errors[code] || 0) + 1;
    if (code === '40P01' || code === '40001') return;   // the transaction is aborted: nothing committed
    if (code === '23505' && e && e.kind === 'insert' && this.belief.get(e.id) === 'unknown') return;
    if (this.role.version === 'auto' && code === '23502') {
      // Maybe the opening race (stress.js, openingRace): told once the publish time is known.
      this.ctx.deferred.push({ client: this.index, t: e ? e.t : Date.now(),
                               text: `client ${this.index} (${this.role.path}): ${where}${e ? ` on row ${e.id}` : ''}${e && e.at !== undefined ? ` at ${(e.at / 1000).toFixed(3)} s` : ''} failed: ${describeError(err)}` });
      return;
    }
    // A few lines per kind of failure; the rest are counted (suppressedFailures).
    const key = `${code} ${where}`;
    const seen = (this.failureKinds.get(key) || 0) + 1;
    this.failureKinds.set(key, seen);
    if (seen > 3) { this.suppressed.set(key, (this.suppressed.get(key) || 0) + 1); return; }
    this.ctx.fail(`client ${this.index} (${this.role.path}): ${where}${e ? ` on row ${e.id}` : ''} failed: ${describeError(err)}`);
  }

  async autocommit(op) {
    const protocol = this.pick(this.role.protocols);
    const e = this.entry(op, null);
    try {
      const result = await this.conn.query(this.statement(op, protocol));
      this.record(e, result);
      e.status = 'committed';
    } catch (err) {
      if (isConnectionError(err)) {
        e.status = op.kind === 'read' ? 'aborted' : 'uncertain';
        this.log.push(e);
        this.believe(e);
        this.count(e);
        await this.lost(err, `${op.kind} of row ${op.id}`);
        return;
      }
      if (err.code === '23505' && op.kind === 'dup') {
        e.status = 'committed';   // an observation: the row is there
      } else if (err.code === '23505' && op.kind === 'insert') {
        e.kind = 'dup';           // the model decides whether the row may have been there
        e.status = 'committed';
      } else {
        e.status = 'aborted';
        this.unexpected(err, e, op.kind);
      }
    }
    this.log.push(e);
    this.believe(e);
    this.count(e);
  }

  async transaction() {
    this.txCount += 1;
    const tx = `${this.index}.${this.txCount}`;
    const before = new Map();
    const entries = [];
    const n = 2 + Math.floor(this.rng() * 3);
    const rollback = this.rng() < 0.1;
    const protocol = this.pick(this.role.protocols);
    const abort = async (err, e, where) => {
      for (const x of entries) { x.status = 'aborted'; this.log.push(x); this.count(x); }
      for (const [id, b] of before) this.belief.set(id, b);
      if (isConnectionError(err)) { await this.lost(err, `a transaction (${where})`); return; }
      this.unexpected(err, e, where);
      try { await this.conn.query('ROLLBACK'); } catch (err2) {
        if (isConnectionError(err2)) await this.lost(err2, 'ROLLBACK'); else throw err2;
      }
    };
    try {
      await this.conn.query('BEGIN');
    } catch (err) {
      await abort(err, null, 'BEGIN');
      return;
    }
    for (let i = 0; i < n; i += 1) {
      const op = this.chooseOp(true);
      if (!before.has(op.id)) before.set(op.id, this.belief.get(op.id));
      const e = this.entry(op, tx);
      entries.push(e);
      try {
        const result = await this.conn.query(this.statement(op, protocol));
        this.record(e, result);
        // Beliefs follow the transaction; put back if it does not commit.
        e.status = 'committed';
        this.believe(e);
      } catch (err) {
        e.statementDone = false;
        await abort(err, e, `${op.kind} in a transaction`);
        return;
      }
    }
    if (rollback) {
      try {
        await this.conn.query('ROLLBACK');
        for (const x of entries) { x.status = 'aborted'; this.log.push(x); this.count(x); }
        for (const [id, b] of before) this.belief.set(id, b);
      } catch (err) {
        await abort(err, null, 'ROLLBACK');
      }
      return;
    }
    try {
      const result = await this.conn.query('COMMIT');
      // COMMIT of a transaction that failed answers ROLLBACK, not an error.
      const status = result.command === 'COMMIT' ? 'committed' : 'aborted';
      for (const x of entries) { x.status = status; this.log.push(x); this.count(x); }
      if (status === 'aborted') {
        for (const [id, b] of before) this.belief.set(id, b);
        this.ctx.fail(`client ${this.index} (${this.role.path}): COMMIT of transaction ${tx} answered ${result.command}`);
      }
    } catch (err) {
      if (isConnectionError(err)) {
        for (const x of entries) { x.status = 'uncertain'; this.log.push(x); this.count(x); this.belief.set(x.id, 'unknown'); }
        await this.lost(err, `COMMIT of transaction ${tx}`);
        return;
      }
      for (const x of entries) { x.status = 'aborted'; this.log.push(x); this.count(x); }
      for (const [id, b] of before) this.belief.set(id, b);
      this.unexpected(err, null, `COMMIT of transaction ${tx}`);
    }
  }

  // One failure line for each kind of failure whose lines were left out.
  reportSuppressed() {
    for (const [key, n] of this.suppressed) {
      this.ctx.fail(`client ${this.index} (${this.role.path}): ${n} more failures like the above (${key})`);
    }
    this.suppressed.clear();
  }

  async waitForNewVersion() {
    while (!this.ctx.stopping) {
      try {
        const r = await this.conn.query('SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1) AS open', [this.ctx.v2]);
        if (r.rows[0].open) return true;
      } catch (err) {
        if (!isConnectionError(err)) throw err;
        await this.lost(err, 'the wait for the new version');
        continue;
      }
      await sleep(20);
    }
    return false;
  }

  async run() {
    await this.connect();
    if (this.role.waitsForNew && !(await this.waitForNewVersion())) return;
    this.startedAt = Date.now();
    while (!this.ctx.stopping) {
      if (this.rng() < this.role.txProb) await this.transaction();
      else await this.autocommit(this.chooseOp(false));
      // Let the other tasks of this process (checks, chaos) have their turn.
      if (this.seq % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    if (this.conn) await this.conn.end().catch(() => {});
    this.conn = null;
  }
}

module.exports = { Client, roles };
