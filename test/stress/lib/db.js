'use strict';
// Connections that survive server restarts, and the error classes the stress test tells apart.
const pg = require('pg');

// node-postgres returns int8 as text already; keep every value as the server printed it.
pg.types.setTypeParser(20, (v) => v);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A lost connection (the server restarting, a backend terminated): the statement's outcome may be
// unknown. Server errors of other classes are answers: the statement did not commit.
function isConnectionError(err) {
  if (!err) return false;
  if (err.severity === undefined) return true;        // a socket error, "Connection terminated", a timeout
  if (err.severity === 'FATAL' || err.severity === 'PANIC') return true;
  return /^(08|57P0)/.test(err.code || '');
}

function describeError(err) {
  if (!err) return 'no error';
  return `${err.code ? `${err.code} ` : ''}${err.message}`.replace(/\s+/g, ' ');
}

function connectionConfig(database, extra) {
  return {
    host: process.env.PGHOST,
    port: process.env.PGPORT ? Number(process.env.PGPORT) : undefined,
    user: process.env.PGUSER,
    database,
    application_name: extra && extra.application_name ? extra.application_name : 'pgshift stress',
    // A statement blocked this long is a failure of its own (statement_timeout, 57014); a
    // connection that answers nothing at all is given up client-side a little later.
    statement_timeout: 20000,
    query_timeout: 40000,
    connectionTimeoutMillis: 10000,
    ...(extra || {}),
  };
}

// One connection that reconnects on demand (the admin, chaos and check connections).
class Session {
  constructor(ctx, database, name) {
    this.ctx = ctx;
    this.database = database;
    this.name = name;
    this.client = null;
  }

  async connect(deadlineMs) {
    const deadline = Date.now() + (deadlineMs || 60000);
    for (;;) {
      const client = new pg.Client(connectionConfig(this.database, { application_name: `pgshift stress ${this.name}` }));
      client.on('error', () => {});   // reported by the next query
      try {
        await client.connect();
        this.client = client;
        return client;
      } catch (err) {
        client.end().catch(() => {});
        if (!isConnectionError(err) || Date.now() > deadline) throw err;
        await sleep(100);
      }
    }
  }

  close() {
    if (this.client) this.client.end().catch(() => {});
    this.client = null;
  }

  // A query that is retried (on a new connection) when the connection is lost, until the deadline.
  // Only for statements that may run twice.
  async query(text, values, deadlineMs) {
    const deadline = Date.now() + (deadlineMs || 60000);
    for (;;) {
      try {
        if (!this.client) await this.connect(Math.max(1000, deadline - Date.now()));
        return await this.client.query(text, values);
      } catch (err) {
        if (!isConnectionError(err) || Date.now() > deadline) throw err;
        this.close();
        await sleep(100);
      }
    }
  }

  // Once, no retry: for statements whose connection loss the caller handles.
  async once(text, values) {
    if (!this.client) await this.connect();
    try {
      return await this.client.query(text, values);
    } catch (err) {
      if (isConnectionError(err)) this.close();
      throw err;
    }
  }
}

module.exports = { pg, sleep, isConnectionError, describeError, connectionConfig, Session };
