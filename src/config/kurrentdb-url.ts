/**
 * Checks a KurrentDB connection string before the client sees it, so a typo stops bzzz with one line
 * instead of a stack trace when the store opens. Returns it with the scheme in lower case.
 */
const SCHEMES = ['kurrentdb', 'esdb', 'kurrentdb+discover', 'esdb+discover'] as const;

const BOOLEAN = /^(true|false)$/i;
const INTEGER = /^\d{1,9}$/;

/** The options the client understands, each with the values it accepts. */
const OPTIONS: Record<string, RegExp | 'text'> = {
  tls: BOOLEAN,
  tlsverifycert: BOOLEAN,
  throwonappendfailure: BOOLEAN,
  nodepreference: /^(leader|follower|random|readonlyreplica)$/i,
  defaultdeadline: INTEGER,
  discoveryinterval: INTEGER,
  gossiptimeout: INTEGER,
  maxdiscoverattempts: INTEGER,
  keepaliveinterval: /^-?\d{1,9}$/,
  keepalivetimeout: /^-?\d{1,9}$/,
  connectionname: 'text',
  tlscafile: 'text',
  usercertfile: 'text',
  userkeyfile: 'text',
};

const HOST = /^(?:\[[0-9a-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)$/i;

export function checkKurrentDbUrl(value: string): string {
  const match = /^([a-z][a-z0-9+]*):\/\/(?:([^@/?#]*)@)?([^/?#]*)\/?(?:\?([^#]*))?$/i.exec(value);
  const scheme = match?.[1]?.toLowerCase();
  if (!match || !SCHEMES.includes(scheme as (typeof SCHEMES)[number])) {
    throw new Error(`expected ${SCHEMES.join('|')}://host:port[,host:port...][?options]`);
  }
  const [, , credentials, hosts = '', query] = match;
  if (credentials !== undefined && !/^[^:]+:.+$/.test(credentials)) {
    throw new Error('credentials must be user:password@');
  }
  if (hosts.length === 0)
    throw new Error(`${scheme}: needs hosts, as in ${scheme}://localhost:2113?tls=false`);
  for (const endpoint of hosts.split(',')) checkEndpoint(endpoint);
  for (const pair of query ? query.split('&') : []) checkOption(pair);
  return `${scheme}${value.slice(value.indexOf('://'))}`;
}

function checkEndpoint(endpoint: string): void {
  const at = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(endpoint);
  const host = at?.[1] ?? '';
  if (!at || !HOST.test(host)) throw new Error(`"${endpoint}" is not a host[:port]`);
  const port = at[2] === undefined ? 2113 : Number(at[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`port ${at[2]} of "${endpoint}" is not 1-65535`);
  }
}

function checkOption(pair: string): void {
  const [key = '', raw = ''] = pair.split('=', 2);
  const value = decodeURIComponent(raw);
  const rule = OPTIONS[key.toLowerCase()];
  if (!rule) throw new Error(`unknown option "${key}"; accepted: ${Object.keys(OPTIONS).join(', ')}`);
  if (rule === 'text' ? value.length === 0 : !rule.test(value)) {
    throw new Error(`option ${key}=${JSON.stringify(value)} is not accepted`);
  }
}

/** The connection string with any password replaced, for messages. */
export function redactUrl(value: string): string {
  return value.replace(/(\/\/[^:@/]+:)[^@/]*@/, '$1***@');
}
