'use strict';
// What the rows must hold, from the clients' logs.
//
// Every client owns a disjoint set of ids (id % clients == client index) and runs one statement at
// a time, so its log is the history of its rows in order. For each row the checker keeps the set of
// states the row may be in (a COMMIT whose outcome is unknown adds the "it committed" states to the
// "it did not" ones) and narrows it with what the statements themselves saw: the rows an UPDATE or
// DELETE reached, the values RETURNING gave back, the values read. A state is null (no row) or
// {text, num, note}: the amount as the old version shows it (text, exactly as written there) and as
// the new one shows it (bigint, as a decimal string), and the note.
//
// Log entries (one per statement; `version` says in which terms its amounts are):
//   {kind: 'insert', id, text, num, note, ret}          ret: the row RETURNING gave, or undefined
//   {kind: 'upsert', id, text, num, note, keepNote, ret} INSERT ... ON CONFLICT (id) DO UPDATE
//   {kind: 'update', id, setAmount: {text, num}?, setNote: {note}?, rc, ret}
//   {kind: 'incr', id, delta, rc, ret}                   SET amount = amount + delta
//   {kind: 'delete', id, rc, ret}
//   {kind: 'read', id, ret}                              ret null: no row
//   {kind: 'dup', id}                                    an INSERT refused with unique_violation
// and each carries client, seq, tx (null: autocommit), path, version ('old' | 'new'; 'either': a
// statement of the client whose version depends on what `accounts` resolved to, with no row
// returned to tell), at (ms since the migration started), and status:
//   'committed', 'uncertain' (the connection was lost while its COMMIT could have happened; for a
//   statement in a transaction, `statementDone` says whether its own result came back), or
//   'aborted' (certainly not committed: rolled back, failed, lost before its COMMIT was sent).

// The bigint an old-version text amount casts to, as a decimal string (null if it does not cast).
function canonical(text) {
  try { return BigInt(text).toString(); } catch (err) { return null; }
}

function stateKey(s) {
  return s === null ? 'absent' : JSON.stringify([s.text, s.num, s.note]);
}

function describeState(s, version) {
  if (s === null) return 'no row';
  const amount = version === 'old' ? `'${s.text}'` : version === 'new' ? s.num : `${s.num} ('${s.text}' in the old version)`;
  return `amount ${amount}, note ${s.note === null ? 'NULL' : `'${s.note}'`}`;
}

function describeStates(states, version) {
  return states.map((s) => describeState(s, version)).join(' or ');
}

function uniq(states) {
  const seen = new Map();
  for (const s of states) seen.set(stateKey(s), s);
  return [...seen.values()];
}

// Whether a returned or read row (amount as text in the entry's version terms, note) shows state s.
function shows(s, ret, version) {
  if (ret === null) return s === null;
  if (s === null) return false;
  const amount = version === 'old' ? s.text : s.num;
  return amount === ret.amount && s.note === ret.note;
}

// The states an entry leads to from state s, when it committed: [] when s contradicts what the
// statement saw (checked only if `checked`).
function apply(e, s, checked) {
  const hasRet = e.ret !== undefined;
  switch (e.kind) {
    case 'insert': {
      if (checked && s !== null) return [];
      const next = { text: e.text, num: e.num, note: e.note };
      if (checked && hasRet && !shows(next, e.ret, e.version)) return [];
      return [next];
    }
    case 'upsert': {
      const next = { text: e.text, num: e.num, note: s !== null && e.keepNote ? s.note : e.note };
      if (checked && hasRet && !shows(next, e.ret, e.version)) return [];
      return [next];
    }
    case 'update': {
      if (e.rc === undefined) {   // no result came back: either
        if (s === null) return [null];
      } else if (checked && (e.rc === 1) !== (s !== null)) {
        return [];
      }
      if (s === null) return [null];
      const next = { ...s };
      if (e.setAmount) { next.text = e.setAmount.text; next.num = e.setAmount.num; }
      if (e.setNote) next.note = e.setNote.note;
      // A write through the new version runs `down` for every row it writes, amount set or not:
      // the old column becomes CAST(amount AS text) of the new one.
      const canonicalText = { ...next, text: next.num };
      if (e.version === 'either') return uniq([next, canonicalText]);
      const result = e.version === 'new' ? canonicalText : next;
      if (checked && hasRet && e.rc === 1 && !shows(result, e.ret, e.version)) return [];
      return [result];
    }
    case 'incr': {
      if (e.rc === undefined) {
        if (s === null) return [null];
      } else if (checked && (e.rc === 1) !== (s !== null)) {
        return [];
      }
      if (s === null) return [null];
      const n = (BigInt(s.num) + BigInt(e.delta)).toString();
      const next = { text: n, num: n, note: s.note };
      if (checked && hasRet && e.rc === 1 && !shows(next, e.ret, e.version)) return [];
      return [next];
    }
    case 'delete': {
      if (e.rc !== undefined && checked) {
        if ((e.rc === 1) !== (s !== null)) return [];
        if (hasRet && e.rc === 1 && !shows(s, e.ret, e.version)) return [];
      }
      return [null];
    }
    case 'read':
      return !checked || shows(s, e.ret, e.version) ? [s] : [];
    case 'dup':
      return !checked || s !== null ? [s] : [];
    default:
      throw new Error(`unknown log entry kind ${e.kind}`);
  }
}

function what(e) {
  const via = `client ${e.client} (${e.path}) #${e.seq}${e.at !== undefined ? ` at ${(e.at / 1000).toFixed(3)} s` : ''}${e.tx !== null ? ` in transaction ${e.tx}` : ''}`;
  switch (e.kind) {
    case 'insert': return `${via}: INSERT amount ${e.version === 'old' ? `'${e.text}'` : e.num}`;
    case 'upsert': return `${via}: INSERT ... ON CONFLICT DO UPDATE amount ${e.version === 'old' ? `'${e.text}'` : e.num}`;
    case 'update': return `${via}: UPDATE${e.setAmount ? ` amount ${e.version === 'old' ? `'${e.setAmount.text}'` : e.setAmount.num}` : ''}${e.setNote ? ' note' : ''} (${e.rc === undefined ? 'no result' : `${e.rc} row`})`;
    case 'incr': return `${via}: UPDATE amount = amount + ${e.delta} (${e.rc === undefined ? 'no result' : `${e.rc} row`})`;
    case 'delete': return `${via}: DELETE (${e.rc === undefined ? 'no result' : `${e.rc} row`})`;
    case 'read': return `${via}: SELECT`;
    case 'dup': return `${via}: INSERT refused as a duplicate`;
    default: return via;
  }
}

function retText(e) {
  if (e.ret === undefined) return '';
  if (e.ret === null) return e.kind === 'read' ? ', which found no row' : '';
  return `, which returned amount ${e.version === 'old' ? `'${e.ret.amount}'` : e.ret.amount}, note ${e.ret.note === null ? 'NULL' : `'${e.ret.note}'`}`;
}

class Model {
  constructor() {
    this.rows = new Map();      // id -> possible states
    this.last = new Map();      // id -> the last entry that changed (or read) it, for messages
    this.problems = [];         // contradictions between the log and what statements saw: {entry, text}
    this.counts = { committed: 0, uncertain: 0, aborted: 0, reads: 0 };
  }

  setInitial(id, state) {
    this.rows.set(id, [state]);
  }

  states(id) {
    return this.rows.get(id) || [null];
  }

  // One client's log, in order.
  replay(entries) {
    let i = 0;
    while (i < entries.length) {
      const e = entries[i];
      if (e.tx === null) {
        this.one(e);
        i += 1;
        continue;
      }
      let j = i;
      while (j < entries.length && entries[j].tx === e.tx) j += 1;
      this.transaction(entries.slice(i, j));
      i = j;
    }
  }

  one(e) {
    if (e.status === 'aborted') { this.counts.aborted += 1; return; }
    if (e.status === 'committed') {
      this.counts[e.kind === 'read' ? 'reads' : 'committed'] += 1;
      this.rows.set(e.id, this.step(e));
      return;
    }
    this.counts.uncertain += 1;
    const before = this.states(e.id);
    const after = [];
    for (const s of before) after.push(...apply(e, s, false));
    this.rows.set(e.id, uniq(before.concat(after)));
    this.last.set(e.id, e);
  }

  // A committed statement: the row goes to the states it leads to; none means a contradiction.
  step(e, from) {
    const before = from || this.states(e.id);
    const after = [];
    for (const s of before) after.push(...apply(e, s, true));
    if (after.length === 0) {
      const previous = this.last.get(e.id);
      // Go on from what the statement saw, so that one fault is reported once.
      for (const s of before.length ? before : [null]) after.push(...apply(e, s, false));
      const expected = e.ret !== undefined && e.kind !== 'read' && e.kind !== 'delete'
        ? `; it should have returned ${describeStates(uniq(after), e.version)}` : '';
      this.problems.push({ entry: e,
                           text: `row ${e.id}: ${what(e)}${retText(e)}, but the row held ${describeStates(before, e.version)} before it${expected}` +
                                 (previous ? ` (last: ${what(previous)})` : ' (as filled)') });
      if (e.ret !== undefined && e.ret !== null && e.kind !== 'delete') {
        const num = e.version === 'old' ? canonical(e.ret.amount) : e.ret.amount;
        const seen = { text: e.version === 'old' ? e.ret.amount : num, num, note: e.ret.note };
        after.length = 0;
        after.push(seen);
      }
    }
    this.last.set(e.id, e);
    return uniq(after);
  }

  transaction(entries) {
    const status = entries[entries.length - 1].status;
    if (status === 'aborted') { this.counts.aborted += entries.length; return; }
    // Statements of the transaction in order; per row, from the states before it.
    const touched = new Map();
    for (const e of entries) {
      if (e.statementDone === false) continue;   // its result never came back: it did not run to the end
      const from = touched.has(e.id) ? touched.get(e.id) : this.states(e.id);
      if (status === 'committed') this.counts[e.kind === 'read' ? 'reads' : 'committed'] += 1;
      else this.counts.uncertain += 1;
      touched.set(e.id, this.step(e, from));
    }
    for (const [id, after] of touched) {
      this.rows.set(id, status === 'committed' ? after : uniq(this.states(id).concat(after)));
    }
  }

  // Compares the table's rows ({id, amount, note}; amount in `version` terms) with the model: one
  // message per row that is not as it must be.
  compare(actualRows, version) {
    const mismatches = [];
    const actual = new Map();
    for (const r of actualRows) actual.set(r.id, { amount: r.amount, note: r.note });
    const ids = new Set([...this.rows.keys(), ...actual.keys()]);
    for (const id of [...ids].sort((a, b) => a - b)) {
      const states = this.states(id);
      const row = actual.has(id) ? actual.get(id) : null;
      if (states.some((s) => shows(s, row, version))) continue;
      const last = this.last.get(id);
      const has = row === null ? 'is missing' : `has amount ${version === 'old' ? `'${row.amount}'` : row.amount}, note ${row.note === null ? 'NULL' : `'${row.note}'`}`;
      const expected = describeStates(states, version);
      let kind = 'wrong value';
      if (row === null) kind = 'lost';
      else if (!states.some((s) => s !== null)) kind = this.rows.has(id) ? 'not deleted' : 'invented';
      mismatches.push(`row ${id} ${kind}: the table ${has}, expected ${expected}` +
                      (last ? ` (last: ${what(last)}, ${last.status})` : ' (as filled)'));
    }
    return mismatches;
  }

  liveRows() {
    let n = 0;
    for (const states of this.rows.values()) if (states.some((s) => s !== null)) n += 1;
    return n;
  }
}

module.exports = { Model, canonical, stateKey, shows, apply };
